import { z } from "@hono/zod-openapi";
import { MAX_KEY_LENGTH } from "../../keys/key-format.ts";
import { whoami } from "../../keys/whoami.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { apiPermission } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { keyResponseData, toKeyResponseData } from "./key-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "keys.whoami",
  summary: "Find a key by its plaintext",
  description:
    "Reads the key a plaintext belongs to, within the root key's workspace (never its plaintext). A missing key, another workspace's " +
    "and one the root key may not read all answer the same NOT_FOUND, as in Unkey.\n\n" +
    "Permission: `api.*.read_key` or `api.<apiId>.read_key`.",
  permissions: [apiPermission("read_key")],
  request: z.object({ key: z.string().min(1).max(MAX_KEY_LENGTH).openapi({ example: "sk_live_3ZbE…" }) }),
  data: keyResponseData,
});

export function registerV2Whoami(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return v2Data(c, toKeyResponseData(await whoami(c.get("deps").db, ctx, c.req.valid("json").key)));
  });
}
