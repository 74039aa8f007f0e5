import { createRoute, z } from "@hono/zod-openapi";
import { hashProblem, migrateKeys } from "../../keys/migrate-keys.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { createKeyFields, jsonBody, jsonResponse, text, toKeySettings } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired, NEW_NAME_PROSE, NEW_NAME_RULES } from "../routes/route-security.ts";

/** Unkey v1's one variant; it is the v2 migration of the same name. */
const VARIANT = "sha256_base64";
/** Unkey v1's bound per request. */
const MAX_KEYS = 100;

const importedKey = z.object({
  apiId: createKeyFields.apiId,
  hash: z.object({
    value: text().openapi({ description: "Standard base64 of SHA-256 of the key.", example: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=" }),
    variant: z.enum([VARIANT]),
  }),
  prefix: createKeyFields.prefix.openapi({ description: "The keys' prefix without the `_`: verify then looks such keys up." }),
  // Prefix, `_` and a few characters: enough to recognise a key (getKey shows it), not to guess it.
  start: text(32).optional().openapi({ example: "sk_live_5fBU" }),
  name: createKeyFields.name,
  ownerId: createKeyFields.ownerId,
  externalId: createKeyFields.externalId,
  meta: createKeyFields.meta,
  roles: createKeyFields.roles,
  permissions: createKeyFields.permissions,
  expires: createKeyFields.expires,
  remaining: createKeyFields.remaining,
  refill: createKeyFields.refill,
  ratelimit: createKeyFields.ratelimit,
  enabled: createKeyFields.enabled,
  environment: createKeyFields.environment,
});

const route = createRoute({
  operationId: "migrations.createKeys",
  tags: ["migrations"],
  method: "post",
  path: "/v1/migrations.createKeys",
  ...rootKeyRequired(apiPermission("create_key"), ...NEW_NAME_RULES),
  description:
    "Imports keys issued elsewhere by their hash (`variant: sha256_base64`), up to 100 per request, as Unkey's v1 did; " +
    "Unkey's `plaintext` alternative is not supported. All keys are imported or none: a hash Keyhold already holds, or " +
    "one sent twice, refuses the request (409). The key ids come back in request order.\n\n" +
    "Permission: `api.*.create_key` or `api.<apiId>.create_key` for every API named." + NEW_NAME_PROSE,
  request: jsonBody(
    z
      .array(importedKey)
      .min(1)
      .max(MAX_KEYS)
      .superRefine((keys, ctx) => {
        keys.forEach((key, i) => {
          const problem = hashProblem(VARIANT, key.hash.value);
          if (problem) ctx.addIssue({ code: "custom", path: [i, "hash", "value"], message: problem });
        });
      }),
  ),
  responses: {
    ...jsonResponse(z.object({ keyIds: z.array(z.string()) }), "The new keys' ids, in request order."),
    ...errorResponses,
  },
});

export function registerMigrationsCreateKeys(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { db, importedPrefixes } = c.get("deps");
    const keys = c.req.valid("json").map((k) => ({ ...toKeySettings(k), apiId: k.apiId, hash: k.hash.value, prefix: k.prefix, start: k.start }));
    const result = await migrateKeys(db, ctx, { migrationId: VARIANT, keys, onDuplicate: "refuse" }, importedPrefixes);
    return c.json({ keyIds: result.migrated.map((m) => m.keyId) }, 200);
  });
}
