import { z } from "@hono/zod-openapi";
import { MAX_RATELIMITS_PER_KEY } from "../../keys/key-ratelimits.ts";
import { MAX_QUERY_STRING_LENGTH, PermissionQuerySyntaxError, parsePermissionQuery } from "../../keys/permission-query-string.ts";
import { V2_VERIFY, type VerifyKeyResult } from "../../keys/verify-key.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { meta, requestedRatelimit, text, verifyCost } from "../routes/schemas.ts";
import { apiPermission } from "../routes/route-security.ts";
import { verifyFor } from "../routes/verification.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";
import { identityData, toIdentityData } from "./key-data.ts";


/** v2's string query, parsed here into the tree v1 sends: a syntax error is a 400 at `body.permissions` saying where. */
const permissionQuery = z
  .string()
  .min(1)
  .max(MAX_QUERY_STRING_LENGTH)
  .transform((query, ctx) => {
    try {
      return parsePermissionQuery(query);
    } catch (error) {
      if (!(error instanceof PermissionQuerySyntaxError)) throw error;
      ctx.addIssue({ code: "custom", message: error.message });
      return z.NEVER;
    }
  })
  .openapi({
    type: "string",
    description: "Permission names joined with AND and OR (AND binds tighter) and grouped with parentheses, e.g. `dns.read AND (dns.write OR admin)`.",
    example: "dns.read AND (dns.write OR admin)",
  });

const request = z.object({
  // Unkey's bound; longer than any key Keyhold issues, which answers NOT_FOUND before any lookup.
  key: z.string().min(1).max(512).openapi({ example: "sk_live_3ZbE…" }),
  tags: z.array(text(512)).max(100).optional().openapi({ description: "Counted with the verification (analytics.getVerifications `tag`, `groupBy: tag`) and kept in the request log, e.g. `endpoint=/users`." }),
  permissions: permissionQuery.optional(),
  credits: z.object({ cost: verifyCost }).optional().openapi({ description: "Credits this verification spends (default 1; 0 spends none)." }),
  ratelimits: z
    .array(requestedRatelimit)
    .max(MAX_RATELIMITS_PER_KEY)
    .optional()
    .openapi({ description: "Limits to check besides the auto-applied ones: by a name the key has, or inline with `limit` and `duration`." }),
  migrationId: z.string().max(256).optional().openapi({ description: "Accepted for Unkey compatibility; Keyhold has no on-demand key migration." }),
});

const ratelimitData = z
  .object({
    exceeded: z.boolean(),
    id: z.string().openapi({ description: "The key's id of the limit; empty for an inline limit." }),
    name: z.string(),
    limit: z.number().int(),
    duration: z.number().int(),
    reset: z.number().int().openapi({ description: "When the window ends (Unix ms)." }),
    remaining: z.number().int(),
    autoApply: z.boolean(),
  })
  .openapi("V2VerifyKeyRatelimitData");

const data = z
  .object({
    valid: z.boolean(),
    code: z.enum(["VALID", "NOT_FOUND", "FORBIDDEN", "INSUFFICIENT_PERMISSIONS", "USAGE_EXCEEDED", "RATE_LIMITED", "DISABLED", "EXPIRED"]),
    keyId: z.string().optional(),
    name: z.string().optional(),
    meta: meta.optional(),
    expires: z.number().int().optional(),
    credits: z.number().int().optional().openapi({ description: "The balance after this verification; only when it reached the credit check." }),
    enabled: z.boolean().optional(),
    permissions: z.array(z.string()).optional(),
    roles: z.array(z.string()).optional(),
    ratelimits: z.array(ratelimitData).optional().openapi({ description: "Every limit checked, each with its own verdict." }),
    identity: identityData.optional().openapi({ description: "The key's identity: its meta and the rate limits its keys share." }),
  })
  .openapi("V2VerifyKeyData");

const route = v2Route({
  operation: "keys.verifyKey",
  summary: "Verify a key",
  description:
    "Verifies a key: existence, enabled, expiry, permissions, rate limits and credits. Every verdict is a 200 with `valid` and a `code`; " +
    "a refused verification spends nothing. A requested rate limit the key does not have, sent without `limit` and `duration`, is a 412.\n\n" +
    "Permission: `api.*.verify_key` or `api.<apiId>.verify_key`. A key in another workspace, or in an API the root key may not verify, " +
    "answers `NOT_FOUND` exactly like a missing key.",
  permissions: [apiPermission("verify_key")],
  request,
  data,
  extraErrors: [412],
});

/** The service's verdict in v2's shape: its own field names, and only what v2 defines (no ownerId, environment or v1's one `ratelimit`). */
function v2Verdict(r: VerifyKeyResult) {
  return {
    valid: r.valid,
    code: r.code,
    ...(r.keyId !== undefined && { keyId: r.keyId }),
    ...(r.name !== undefined && { name: r.name }),
    ...(r.meta !== undefined && { meta: r.meta }),
    ...(r.expires !== undefined && { expires: r.expires }),
    ...(r.remaining !== undefined && { credits: r.remaining }),
    ...(r.enabled !== undefined && { enabled: r.enabled }),
    ...(r.permissions !== undefined && { permissions: r.permissions }),
    ...(r.roles !== undefined && { roles: r.roles }),
    ...(r.ratelimits !== undefined && { ratelimits: r.ratelimits }),
    ...(r.identity !== undefined && { identity: toIdentityData(r.identity, "whenAny") }),
  };
}

export function registerV2VerifyKey(app: App): void {
  app.openapi(route, async (c) => {
    const rootKey = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const result = await verifyFor(
      c,
      {
        key: body.key,
        ...(body.permissions !== undefined && { authorization: { permissions: body.permissions } }),
        ...(body.credits && { remaining: body.credits }),
        ...(body.ratelimits && { ratelimits: body.ratelimits }),
      },
      { rootKey, rules: V2_VERIFY, tags: body.tags },
    );
    return v2Data(c, v2Verdict(result));
  });
}
