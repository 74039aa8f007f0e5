import { z } from "@hono/zod-openapi";
import { getKey } from "../../keys/read-keys.ts";
import { logDecrypts, rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { id } from "../routes/schemas.ts";
import { apiPermission } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { keyResponseData, toKeyResponseData } from "./key-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "keys.getKey",
  summary: "Get a key",
  description:
    "Reads a key by its id. With `decrypt: true` a recoverable key carries its `plaintext`.\n\n" +
    "Permission: `api.*.read_key` or `api.<apiId>.read_key`; with `decrypt` also `api.*.decrypt_key` or `api.<apiId>.decrypt_key`.",
  permissions: [apiPermission("read_key"), apiPermission("decrypt_key", "decrypt=true")],
  request: z.object({ keyId: id("key_1234"), decrypt: z.boolean().optional() }),
  data: keyResponseData,
});

export function registerV2GetKey(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { db, vault, logger } = c.get("deps");
    const key = await getKey(db, vault, ctx, c.req.valid("json"));
    if (key.plaintext !== undefined) logDecrypts(logger, c.get("requestId"), ctx.rootKeyId, [key.id]);
    return v2Data(c, toKeyResponseData(key));
  });
}
