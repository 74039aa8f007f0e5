import { z } from "@hono/zod-openapi";
import { listKeys } from "../../keys/read-keys.ts";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import { logDecrypts, rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { id, text } from "../routes/schemas.ts";
import { apiPermission } from "../routes/route-security.ts";
import { v2Page } from "./envelope.ts";
import { keyResponseData, toKeyResponseData } from "./key-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "apis.listKeys",
  summary: "List an API's keys",
  description:
    "Lists an API's keys, oldest first, a page at a time (at most `limit` keys, fewer when they are large); `pagination.cursor` " +
    "fetches the next page while `hasMore`. `externalId` keeps only that owner's keys. With `decrypt: true` recoverable keys carry their `plaintext`.\n\n" +
    "Permission: `api.*.read_key` or `api.<apiId>.read_key`; with `decrypt` also `api.*.decrypt_key` or `api.<apiId>.decrypt_key`.",
  permissions: [apiPermission("read_key"), apiPermission("decrypt_key", "decrypt=true")],
  request: z.object({
    apiId: id("api_1234"),
    limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
    cursor: text().optional(),
    externalId: text().optional(),
    decrypt: z.boolean().optional(),
    revalidateKeysCache: z.boolean().optional().openapi({ description: "Accepted for Unkey's clients; Keyhold always reads the database." }),
  }),
  data: z.array(keyResponseData),
  list: true,
});

export function registerV2ListKeys(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const { db, vault, logger } = c.get("deps");
    const page = await listKeys(db, vault, ctx, { apiId: body.apiId, limit: body.limit, cursor: body.cursor, ownerId: body.externalId, decrypt: body.decrypt });
    const decrypted = page.keys.filter((k) => k.plaintext !== undefined).map((k) => k.id);
    if (decrypted.length > 0) logDecrypts(logger, c.get("requestId"), ctx.rootKeyId, decrypted);
    return v2Page(c, page.keys.map(toKeyResponseData), { cursor: page.cursor });
  });
}
