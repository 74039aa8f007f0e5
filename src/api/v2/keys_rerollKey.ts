import { z } from "@hono/zod-openapi";
import { MAX_REROLL_EXPIRATION_MS, rerollKey } from "../../keys/reroll-key.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { id } from "../routes/schemas.ts";
import { apiPermission } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "keys.rerollKey",
  summary: "Reroll a key",
  description:
    "Issues a new key in the same API with the old key's prefix, settings, credits, rate limits, permissions and roles; a " +
    "recoverable key stays recoverable (412 if recovery is now off for the API). The old key keeps working for `expiration` ms, " +
    "then answers EXPIRED (an earlier expiry it had stays); `expiration: 0` expires it at once. The new key is returned once.\n\n" +
    "Permission: `api.*.create_key` or `api.<apiId>.create_key`; for a recoverable key also `api.*.encrypt_key` or `api.<apiId>.encrypt_key`.",
  permissions: [apiPermission("create_key"), apiPermission("encrypt_key", "the key is recoverable")],
  request: z.object({
    keyId: id("key_1234"),
    expiration: z.number().int().min(0).max(MAX_REROLL_EXPIRATION_MS).openapi({ description: "Grace period of the old key, in ms.", example: 86_400_000 }),
  }),
  data: z.object({ keyId: z.string(), key: z.string().openapi({ example: "sk_live_3ZbE…" }) }),
  extraErrors: [412],
});

export function registerV2RerollKey(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const { db, vault } = c.get("deps");
    const created = await rerollKey(db, vault, ctx, body);
    return v2Data(c, created);
  });
}
