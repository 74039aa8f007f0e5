import { z } from "@hono/zod-openapi";
import { deleteKey } from "../../keys/delete-keys.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { id } from "../routes/schemas.ts";
import { apiPermission } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "keys.deleteKey",
  summary: "Delete a key",
  description: "Deletes a key; it answers NOT_FOUND at once. `permanent` removes the row.\n\nPermission: `api.*.delete_key` or `api.<apiId>.delete_key`.",
  permissions: [apiPermission("delete_key")],
  request: z.object({ keyId: id("key_1234"), permanent: z.boolean().optional() }),
  data: z.object({}),
});

export function registerV2DeleteKey(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    await deleteKey(c.get("deps").db, ctx, body);
    return v2Data(c, {});
  });
}
