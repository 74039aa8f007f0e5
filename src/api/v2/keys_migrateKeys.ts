import { z } from "@hono/zod-openapi";
import { MAX_MIGRATE_KEYS, MIGRATIONS, hashProblem, migrateKeys } from "../../keys/migrate-keys.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { id, text } from "../routes/schemas.ts";
import { apiPermission, NEW_NAME_PROSE, NEW_NAME_RULES } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { createKeyFields, toKeySettings } from "./key-fields.ts";
import { v2Route } from "./route.ts";

const importedKey = z.object({
  hash: text().openapi({ description: "The key's hash in the migration's encoding.", example: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=" }),
  // Everything a v2 createKey sets, but not how the key is made (prefix, byteLength, recoverable): it exists already.
  ...createKeyFields,
});

const request = z
  .object({
    migrationId: text().openapi({ description: `How the hashes are encoded: ${Object.keys(MIGRATIONS).join(" or ")}.`, example: "sha256_base64" }),
    apiId: id("api_1234"),
    keys: z.array(importedKey).min(1).max(MAX_MIGRATE_KEYS),
  })
  .superRefine((body, ctx) => {
    body.keys.forEach((key, i) => {
      const problem = hashProblem(body.migrationId, key.hash);
      if (problem) ctx.addIssue({ code: "custom", path: ["keys", i, "hash"], message: problem });
    });
  });

const route = v2Route({
  operation: "keys.migrateKeys",
  summary: "Import keys by their hash",
  description:
    "Imports keys issued elsewhere, by their hash, so their holders keep using them. `migrationId` names how the hashes are " +
    "encoded: `sha256_base64` (Unkey's: standard base64 of SHA-256 of the key) or `sha256_hex`; another is a 404. The batch is one " +
    "transaction: every key is imported, less those whose hash Keyhold already holds (in any workspace) or that are sent twice, " +
    "which are listed in `failed`; a bad field refuses the whole batch (400).\n\n" +
    "Permission: `api.*.create_key` or `api.<apiId>.create_key`." + NEW_NAME_PROSE,
  permissions: [apiPermission("create_key"), ...NEW_NAME_RULES],
  request,
  data: z.object({
    migrated: z.array(z.object({ hash: z.string(), keyId: z.string() })),
    failed: z.array(z.string()),
  }),
});

export function registerV2MigrateKeys(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const { db, importedPrefixes } = c.get("deps");
    const keys = body.keys.map(({ hash, ...fields }) => ({ apiId: body.apiId, hash, ...toKeySettings(fields) }));
    return v2Data(c, await migrateKeys(db, ctx, { migrationId: body.migrationId, keys, onDuplicate: "report" }, importedPrefixes));
  });
}
