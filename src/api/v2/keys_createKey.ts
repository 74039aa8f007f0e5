import { z } from "@hono/zod-openapi";
import { createKey } from "../../keys/create-key.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { createKeyFields as v1Fields, id } from "../routes/schemas.ts";
import { apiPermission, NEW_NAME_PROSE, NEW_NAME_RULES } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { createKeyFields, toKeySettings } from "./key-fields.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "keys.createKey",
  summary: "Create a key",
  description:
    "Creates a key and returns it once; only its hash is stored. `credits.remaining: null` is unlimited; `ratelimits` are the key's " +
    "named limits (`autoApply` false unless set). With `recoverable: true` the vault also stores a ciphertext (412 if recovery is off for the API).\n\n" +
    "Permission: `api.*.create_key` or `api.<apiId>.create_key`; with `recoverable` also `api.*.encrypt_key` or `api.<apiId>.encrypt_key`." + NEW_NAME_PROSE,
  permissions: [apiPermission("create_key"), apiPermission("encrypt_key", "recoverable=true"), ...NEW_NAME_RULES],
  request: z.object({
    apiId: id("api_1234"),
    prefix: v1Fields.prefix,
    byteLength: v1Fields.byteLength,
    recoverable: v1Fields.recoverable,
    ...createKeyFields,
  }),
  data: z.object({ keyId: z.string(), key: z.string().openapi({ example: "sk_live_3ZbE…" }) }),
  extraErrors: [412],
});

export function registerV2CreateKey(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { apiId, prefix, byteLength, recoverable, ...fields } = c.req.valid("json");
    const { db, vault } = c.get("deps");
    return v2Data(c, await createKey(db, vault, ctx, { ...toKeySettings(fields), apiId, prefix, byteLength, recoverable }));
  });
}
