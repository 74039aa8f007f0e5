import { createRoute, z } from "@hono/zod-openapi";
import { listKeys } from "../../keys/read-keys.ts";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import { logDecrypts, rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { id, jsonResponse, keySchema, queryBoolean, text } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired } from "../routes/route-security.ts";
import { v1Key } from "./v1-key.ts";

const route = createRoute({
  operationId: "apis.listKeys",
  tags: ["v1 apis"],
  method: "get",
  path: "/v1/apis.listKeys",
  ...rootKeyRequired(apiPermission("read_key"), apiPermission("decrypt_key", "decrypt=true")),
  description:
    "Lists an API's keys, oldest first, a page at a time. With `decrypt=true`, recoverable keys carry their `plaintext`.\n\n" +
    "Permission: `api.*.read_key` or `api.<apiId>.read_key`; with `decrypt=true` also `api.*.decrypt_key` or `api.<apiId>.decrypt_key`.",
  request: {
    query: z.object({
      apiId: id("api_1234"),
      limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
      cursor: text().optional(),
      ownerId: text().optional(),
      externalId: text().optional(),
      decrypt: queryBoolean,
      revalidateKeysCache: queryBoolean,
    }),
  },
  responses: {
    ...jsonResponse(z.object({ keys: z.array(keySchema), cursor: z.string().optional(), total: z.number() }), "A page of keys."),
    ...errorResponses,
  },
});

export function registerListKeys(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const q = c.req.valid("query");
    const { db, vault, logger } = c.get("deps");
    const page = await listKeys(db, vault, ctx, {
      apiId: q.apiId,
      limit: q.limit,
      cursor: q.cursor,
      ownerId: q.externalId ?? q.ownerId,
      decrypt: q.decrypt,
    });
    const decrypted = page.keys.filter((k) => k.plaintext !== undefined).map((k) => k.id);
    if (decrypted.length > 0) logDecrypts(logger, c.get("requestId"), ctx.rootKeyId, decrypted);
    return c.json({ ...page, keys: page.keys.map(v1Key) }, 200);
  });
}
