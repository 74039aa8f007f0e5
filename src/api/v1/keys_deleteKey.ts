import { createRoute, z } from "@hono/zod-openapi";
import { deleteKey } from "../../keys/delete-keys.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { emptyObject, id, jsonBody, jsonResponse } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "keys.deleteKey",
  tags: ["v1 keys"],
  method: "post",
  path: "/v1/keys.deleteKey",
  ...rootKeyRequired(apiPermission("delete_key")),
  description: "Deletes a key; it answers NOT_FOUND at once. `permanent` removes the row.\n\nPermission: `api.*.delete_key` or `api.<apiId>.delete_key`.",
  request: jsonBody(z.object({ keyId: id("key_1234"), permanent: z.boolean().optional() })),
  responses: { ...jsonResponse(emptyObject, "Deleted."), ...errorResponses },
});

export function registerDeleteKey(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    await deleteKey(c.get("deps").db, ctx, body);
    return c.json({}, 200);
  });
}
