import { createRoute, z } from "@hono/zod-openapi";
import { getKey } from "../../keys/read-keys.ts";
import { logDecrypts, rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { id, jsonResponse, keySchema, queryBoolean } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired } from "../routes/route-security.ts";
import { v1Key } from "./v1-key.ts";

const route = createRoute({
  operationId: "keys.getKey",
  tags: ["v1 keys"],
  method: "get",
  path: "/v1/keys.getKey",
  ...rootKeyRequired(apiPermission("read_key"), apiPermission("decrypt_key", "decrypt=true")),
  description:
    "Reads a key. With `decrypt=true` a recoverable key carries its `plaintext`.\n\n" +
    "Permission: `api.*.read_key` or `api.<apiId>.read_key`; with `decrypt=true` also `api.*.decrypt_key` or `api.<apiId>.decrypt_key`.",
  request: { query: z.object({ keyId: id("key_1234"), decrypt: queryBoolean }) },
  responses: { ...jsonResponse(keySchema, "The key."), ...errorResponses },
});

export function registerGetKey(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { db, vault, logger } = c.get("deps");
    const query = c.req.valid("query");
    const key = await getKey(db, vault, ctx, query);
    if (key.plaintext !== undefined) logDecrypts(logger, c.get("requestId"), ctx.rootKeyId, [key.id]);
    return c.json(v1Key(key), 200);
  });
}
