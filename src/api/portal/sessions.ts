import { z } from "@hono/zod-openapi";
import { PORTAL_CODE_TTL_MS, PORTAL_SESSION_TTL_MS, createSession, exchangeCode } from "../../portal/sessions.ts";
import { PORTAL_SCOPES } from "../../portal/scopes.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { apiPermission, publicRoute } from "../routes/route-security.ts";
import { text } from "../routes/schemas.ts";
import { v2Data } from "../v2/envelope.ts";
import { v2Route } from "../v2/route.ts";
import { portalOrigin, setSessionCookie } from "./session-auth.ts";

/** Unkey v2's portal.createSession and portal.exchangeCode (src/portal/sessions.ts). */

const returnUrl = z
  .string()
  .max(2048)
  .refine((s) => URL.canParse(s) && ["http:", "https:"].includes(new URL(s).protocol), { message: "must be an absolute http(s) URL" });

const createRoute = v2Route({
  operation: "portal.createSession",
  summary: "Create a portal session",
  description:
    `A session of the portal \`portal\` for the end user \`externalId\` (an identity of the workspace: 404 otherwise), with \`scopes\`: ` +
    `${PORTAL_SCOPES.map((s) => `\`${s}\``).join(", ")} (\`keys:reveal\` is Keyhold's: recoverable plaintexts). Answers the portal URL, carrying a ` +
    `single-use code valid for ${PORTAL_CODE_TTL_MS / 60_000} minutes (also as \`code\`, for portal.exchangeCode).\n\n` +
    "Permission: `portal.*.create_portal_session` or `portal.<portalId>.create_portal_session` (without it: 404, like a missing portal). " +
    "Then each scope needs what the same admin call needs, on every API of the portal (403 for the whole request otherwise): " +
    "`keys:read` `api.*.read_key` or `api.<apiId>.read_key`, and `api.*.read_api` or `api.<apiId>.read_api`; `keys:reroll` and `keys:create` `api.*.create_key` or " +
    "`api.<apiId>.create_key`, and where recovery is on `api.*.encrypt_key` or `api.<apiId>.encrypt_key`; `analytics:read` `api.*.read_analytics` or " +
    "`api.<apiId>.read_analytics`; `keys:reveal` the read_key permissions and `api.*.decrypt_key` or `api.<apiId>.decrypt_key`.",
  permissions: [
    { anyOf: ["portal.*.create_portal_session", "portal.<portalId>.create_portal_session"] },
    apiPermission("read_key", "scopes has keys:read or keys:reveal"),
    apiPermission("read_api", "scopes has keys:read"),
    apiPermission("create_key", "scopes has keys:reroll or keys:create"),
    apiPermission("encrypt_key", "scopes has keys:reroll or keys:create, on an API with recovery on"),
    apiPermission("read_analytics", "scopes has analytics:read"),
    apiPermission("decrypt_key", "scopes has keys:reveal"),
  ],
  request: z.object({
    portal: text().openapi({ example: "ptl_1Ghu6Y2kQ7xW3nZ8rT5vLp" }),
    externalId: text().openapi({ example: "user_123" }),
    scopes: z.array(z.enum(PORTAL_SCOPES)).min(1).max(PORTAL_SCOPES.length),
    preview: z.boolean().optional(),
    returnUrl: returnUrl.optional(),
  }),
  data: z.object({ id: z.string(), url: z.string(), code: z.string(), expiresAt: z.number() }),
});

const exchangeRoute = v2Route({
  operation: "portal.exchangeCode",
  summary: "Exchange a portal code",
  description:
    `Exchanges a code from portal.createSession for the session's access token, valid for ${PORTAL_SESSION_TTL_MS / 60_000} minutes, and sets it as the ` +
    "`portal_session` cookie (HttpOnly, SameSite=Strict, Secure unless on loopback; twice, Path=/v2 for the portal calls and Path=/portal for the hosted page). A code works once; an unknown, expired or used one is a 401. No root key: the code is the credential.",
  permissions: [],
  access: publicRoute(),
  request: z.object({ code: text(256) }),
  data: z.object({ accessToken: z.string(), expiresAt: z.number() }),
});

export function registerPortalSessionRoutes(app: App): void {
  app.openapi(createRoute, async (c) => {
    const ctx = await rootKeyAuth(c);
    const created = await createSession(c.get("deps").db, ctx, c.req.valid("json"), portalOrigin(c));
    return v2Data(c, created);
  });
  app.openapi(exchangeRoute, async (c) => {
    const { accessToken, expiresAt } = await exchangeCode(c.get("deps").db, c.req.valid("json").code);
    setSessionCookie(c, accessToken, expiresAt);
    c.header("Cache-Control", "no-store");
    return v2Data(c, { accessToken, expiresAt });
  });
}
