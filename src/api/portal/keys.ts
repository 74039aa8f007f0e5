import { z } from "@hono/zod-openapi";
import { MAX_REROLL_EXPIRATION_MS } from "../../keys/reroll-key.ts";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import { MAX_PORTAL_KEYS_PER_API, createPortalKey, listPortalKeys, rerollPortalKey, revealPortalKey } from "../../portal/portal-keys.ts";
import { MAX_WINDOW_DAYS, portalVerifications } from "../../portal/portal-verifications.ts";
import { logDecrypts } from "../auth.ts";
import type { App } from "../env.ts";
import { requireJsonBody } from "../middleware/require-json-body.ts";
import { portalSessionRequired } from "../routes/route-security.ts";
import { id, keyFields, text, timestamp } from "../routes/schemas.ts";
import { v2Data, v2Page } from "../v2/envelope.ts";
import { keyResponseData, toKeyResponseData } from "../v2/key-data.ts";
import { v2Route } from "../v2/route.ts";
import { portalSessionAuth } from "./session-auth.ts";

/**
 * The end user's own keys through a portal session (src/portal/portal-keys.ts): Unkey v2's
 * portal.listKeys, getVerifications and rerollKey, and Keyhold's portal.createKey and
 * portal.revealKey. Each needs its scope; a key that is not the session identity's, in the
 * portal's APIs, is a 404 exactly like a missing one. createKey, rerollKey and revealKey are
 * activities (src/activities/catalog.ts); one a policy holds is collected with
 * portal.getActivity (./activities.ts).
 */

const SESSION = " Authenticated by the portal session: the `portal_session` cookie (refused, 403, from another origin) or its access token as a bearer.";

const listRoute = v2Route({
  operation: "portal.listKeys",
  summary: "List the end user's keys",
  description: `The session identity's keys in the portal's APIs, a page at a time; \`pagination.cursor\` continues while \`hasMore\`. \`apiId\` (Keyhold's) keeps one of the portal's APIs (404 for any other).${SESSION}\n\nScope: \`keys:read\`.`,
  permissions: [],
  access: portalSessionRequired("keys:read"),
  request: z.object({ limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional(), cursor: text(600).optional(), apiId: id("api_1234").optional() }),
  data: z.array(keyResponseData),
  list: true,
});

const verificationsRoute = v2Route({
  operation: "portal.getVerifications",
  summary: "The end user's verifications",
  description:
    `The session identity's verifications from \`startTime\` (inclusive) to \`endTime\` (exclusive), per outcome, zero-filled: one point per hour ` +
    `for windows up to two days, per day up to ${MAX_WINDOW_DAYS} days. \`keyId\` keeps one key of the identity.${SESSION}\n\nScope: \`analytics:read\`.`,
  permissions: [],
  access: portalSessionRequired("analytics:read"),
  request: z.object({ startTime: timestamp, endTime: timestamp, keyId: id("key_1234").optional() }),
  data: z.array(
    z.object({
      time: z.number(),
      total: z.number(),
      valid: z.number(),
      rateLimited: z.number(),
      insufficientPermissions: z.number(),
      forbidden: z.number(),
      disabled: z.number(),
      expired: z.number(),
      usageExceeded: z.number(),
    }),
  ),
});

const rerollRoute = v2Route({
  operation: "portal.rerollKey",
  summary: "Reroll the end user's key",
  description:
    "keys.rerollKey for a key of the session identity: a new key with the same settings; the old one keeps working for `expiration` ms. A REROLL_KEY " +
    "activity under the workspace's policies, like revealKey: a DENY refuses it (403), one that needs approvals is held (202), and portal.getActivity " +
    `gives this session the new key, once.${SESSION}\n\nScope: \`keys:reroll\`.`,
  permissions: [],
  access: portalSessionRequired("keys:reroll"),
  request: z.object({
    keyId: id("key_1234"),
    expiration: z.number().int().min(0).max(MAX_REROLL_EXPIRATION_MS).openapi({ description: "Grace period of the old key, in ms.", example: 86_400_000 }),
  }),
  data: z.object({ keyId: z.string(), key: z.string() }),
  extraErrors: [412],
});

const createRoute = v2Route({
  operation: "portal.createKey",
  summary: "Create a key for the end user",
  description:
    "keys.createKey for the session identity, in `apiId` (one of the portal's APIs: 404 for any other): the key is the identity's, recoverable where the " +
    "API has recovery on (so portal.revealKey shows it later), with Keyhold's default prefix and length. The key is answered once. A `CREATE_KEY` activity " +
    `whose params name the portal, the session and the identity, under the workspace's policies. Refused (412) while the identity holds ${MAX_PORTAL_KEYS_PER_API} ` +
    `live keys in that API.${SESSION}\n\nScope: \`keys:create\`.`,
  permissions: [],
  access: portalSessionRequired("keys:create"),
  request: z.object({ apiId: id("api_1234"), name: keyFields.name.optional() }),
  data: z.object({ keyId: z.string(), key: z.string() }),
  extraErrors: [412],
});

const revealRoute = v2Route({
  operation: "portal.revealKey",
  summary: "Reveal the end user's recoverable key",
  description:
    "The plaintext of a recoverable key of the session identity (412 for a key that is not recoverable). Recorded like a decrypt: a DECRYPT_KEY activity " +
    "whose params name the portal, the session and the identity, under the workspace's policies: a DENY refuses it (403); one that needs approvals is held " +
    "(202 with its `activityId`): once the provider approves it, it runs as this session then is, and portal.getActivity gives this session the plaintext, once." +
    `${SESSION}\n\nScope: \`keys:reveal\`.`,
  permissions: [],
  access: portalSessionRequired("keys:reveal"),
  request: z.object({ keyId: id("key_1234") }),
  data: z.object({ keyId: z.string(), plaintext: z.string() }),
  extraErrors: [412],
});

export function registerPortalKeyRoutes(app: App): void {
  app.use(listRoute.path, requireJsonBody());
  app.openapi(listRoute, async (c) => {
    const session = await portalSessionAuth(c);
    const { db, vault } = c.get("deps");
    const page = await listPortalKeys(db, vault, session, c.req.valid("json"));
    return v2Page(c, page.keys.map(toKeyResponseData), { cursor: page.cursor });
  });
  app.openapi(verificationsRoute, async (c) => {
    const session = await portalSessionAuth(c);
    return v2Data(c, await portalVerifications(c.get("deps").db, session, c.req.valid("json")));
  });
  app.openapi(rerollRoute, async (c) => {
    const session = await portalSessionAuth(c);
    const { db, vault } = c.get("deps");
    return v2Data(c, await rerollPortalKey(db, vault, session, c.req.valid("json")));
  });
  app.openapi(createRoute, async (c) => {
    const session = await portalSessionAuth(c);
    const { db, vault } = c.get("deps");
    const created = await createPortalKey(db, vault, session, c.req.valid("json"));
    c.header("Cache-Control", "no-store");
    return v2Data(c, created);
  });
  app.openapi(revealRoute, async (c) => {
    const session = await portalSessionAuth(c);
    const { db, vault, logger } = c.get("deps");
    const revealed = await revealPortalKey(db, vault, session, c.req.valid("json").keyId);
    logDecrypts(logger, c.get("requestId"), session.ctx.rootKeyId, [revealed.keyId]);
    c.header("Cache-Control", "no-store");
    return v2Data(c, revealed);
  });
}
