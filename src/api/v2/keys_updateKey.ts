import { z } from "@hono/zod-openapi";
import { updateKey } from "../../keys/update-key.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { id } from "../routes/schemas.ts";
import { apiPermission, NEW_NAME_PROSE, NEW_NAME_RULES } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { toKeySettings, updateKeyFields } from "./key-fields.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "keys.updateKey",
  summary: "Update a key",
  description:
    "Changes the fields that are present; an explicit `null` clears one. `ratelimits`, `roles` and `permissions` replace the key's lists; " +
    "`credits: null` (or `remaining: null`) makes the key unlimited and ends its refill. A key's id, hash and API never change.\n\n" +
    "Permission: `api.*.update_key` or `api.<apiId>.update_key`." + NEW_NAME_PROSE,
  permissions: [apiPermission("update_key"), ...NEW_NAME_RULES],
  request: z.object({ keyId: id("key_1234"), ...updateKeyFields }),
  data: z.object({}),
});

export function registerV2UpdateKey(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { keyId, ...fields } = c.req.valid("json");
    await updateKey(c.get("deps").db, ctx, keyId, toKeySettings(fields));
    return v2Data(c, {});
  });
}
