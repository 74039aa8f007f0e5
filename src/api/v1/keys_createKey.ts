import { createRoute, z } from "@hono/zod-openapi";
import { createKey } from "../../keys/create-key.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { createKeyFields, jsonBody, jsonResponse, toKeySettings } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired, NEW_NAME_PROSE, NEW_NAME_RULES } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "keys.createKey",
  tags: ["v1 keys"],
  method: "post",
  path: "/v1/keys.createKey",
  ...rootKeyRequired(apiPermission("create_key"), apiPermission("encrypt_key", "recoverable=true"), ...NEW_NAME_RULES),
  description:
    "Creates a key and returns it once; only its hash is stored. With `recoverable: true` the vault also stores a ciphertext " +
    "(412 if recovery is off for the API, 503 if the vault is unreachable: then no key is created).\n\n" +
    "Permission: `api.*.create_key` or `api.<apiId>.create_key`; with `recoverable` also `api.*.encrypt_key` or `api.<apiId>.encrypt_key`." + NEW_NAME_PROSE,
  request: jsonBody(z.object(createKeyFields)),
  responses: {
    ...jsonResponse(z.object({ keyId: z.string(), key: z.string().openapi({ example: "sk_live_3ZbE…" }) }), "The key, shown once."),
    ...errorResponses,
  },
});

export function registerCreateKey(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const { db, vault } = c.get("deps");
    const created = await createKey(db, vault, ctx, {
      ...toKeySettings(body),
      apiId: body.apiId,
      prefix: body.prefix,
      byteLength: body.byteLength,
      recoverable: body.recoverable,
    });
    return c.json(created, 200);
  });
}
