import { createRoute, z } from "@hono/zod-openapi";
import { MAX_KEY_LENGTH } from "../../keys/key-format.ts";
import { type PermissionQuery, isPermissionQuery } from "../../keys/permission-query.ts";
import { V1_VERIFY } from "../../keys/verify-key.ts";
import { optionalRootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { id, jsonBody, jsonResponse, meta, requestedRatelimit, text, verifyCost } from "../routes/schemas.ts";
import { apiPermission, rootKeyOptional } from "../routes/route-security.ts";
import { verifyFor } from "../routes/verification.ts";


const permissionQuery = z
  .custom<PermissionQuery>(isPermissionQuery, { message: "must be a permission name or {and:[…]} / {or:[…]}, at most 8 deep" })
  .openapi({ type: ["string", "object"], description: "A permission name, or nested `{and: [...]}` / `{or: [...]}`.", example: { and: ["dns.read", "dns.write"] } });

const verifyCode = z.enum([
  "VALID",
  "NOT_FOUND",
  "FORBIDDEN",
  "USAGE_EXCEEDED",
  "RATE_LIMITED",
  "UNAUTHORIZED",
  "DISABLED",
  "INSUFFICIENT_PERMISSIONS",
  "EXPIRED",
]);

const route = createRoute({
  operationId: "keys.verifyKey",
  tags: ["v1 keys"],
  method: "post",
  path: "/v1/keys.verifyKey",
  ...rootKeyOptional(apiPermission("verify_key")),
  description:
    "Verifies a key: existence, API, enabled, expiry, permissions, rate limits and credits. An invalid key is a 200 with " +
    "`valid: false` and a `code`. Needs no root key; a valid root key sent along must hold `api.*.verify_key` or " +
    "`api.<apiId>.verify_key`, and keys outside its workspace answer NOT_FOUND.",
  request: jsonBody(
    z.object({
      key: z.string().min(1).max(MAX_KEY_LENGTH).openapi({ example: "sk_live_3ZbE…" }),
      apiId: id("api_1234").optional(),
      tags: z.array(text()).max(100).optional(),
      authorization: z.object({ permissions: permissionQuery.nullable().optional() }).optional(),
      remaining: z.object({ cost: verifyCost.optional() }).optional(),
      ratelimit: z.object({ cost: verifyCost.optional() }).optional(),
      ratelimits: z.array(requestedRatelimit).max(10).optional(),
    }),
  ),
  responses: {
    ...jsonResponse(
      z
        .object({
          valid: z.boolean(),
          code: verifyCode,
          keyId: z.string().optional(),
          name: z.string().optional(),
          ownerId: z.string().optional(),
          meta: meta.optional(),
          expires: z.number().optional(),
          remaining: z.number().optional(),
          ratelimit: z.object({ limit: z.number(), remaining: z.number(), reset: z.number() }).optional(),
          enabled: z.boolean().optional(),
          permissions: z.array(z.string()).optional(),
          roles: z.array(z.string()).optional(),
          environment: z.string().optional(),
          identity: z
            .object({ id: z.string(), externalId: z.string(), meta: z.record(z.string(), z.unknown()) })
            .optional()
            .openapi({ description: "The key's identity (its `ownerId`), with the identity's meta (`{}` when it has none)." }),
          requestId: z.string(),
        })
        .openapi("VerifyKeyResponse"),
      "The verdict. `valid: false` is not an error.",
    ),
    ...errorResponses,
  },
});

export function registerVerifyKey(app: App): void {
  app.openapi(route, async (c) => {
    const rootKey = await optionalRootKeyAuth(c);
    const body = c.req.valid("json");
    // v1 reports its one `ratelimit`, not the list of every limit checked (v2's).
    const { ratelimits: _v2Only, identity, ...result } = await verifyFor(c, body, { rootKey, rules: V1_VERIFY, tags: body.tags });
    // v1's identity: {id, externalId, meta} (meta required), without the rate limits.
    const v1Identity = identity && { identity: { id: identity.id, externalId: identity.externalId, meta: identity.meta ?? {} } };
    return c.json({ ...result, ...v1Identity, requestId: c.get("requestId") }, 200);
  });
}
