import { createRoute, z } from "@hono/zod-openapi";
import { deleteKeys } from "../../keys/delete-keys.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { id, jsonBody, jsonResponse } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "apis.deleteKeys",
  tags: ["v1 apis"],
  method: "post",
  path: "/v1/apis.deleteKeys",
  ...rootKeyRequired(apiPermission("delete_key")),
  description: "Deletes every key of an API; `permanent` removes the rows.\n\nPermission: `api.*.delete_key` or `api.<apiId>.delete_key`.",
  request: jsonBody(z.object({ apiId: id("api_1234"), permanent: z.boolean().optional() })),
  responses: { ...jsonResponse(z.object({ deletedKeys: z.number() }), "How many keys were deleted."), ...errorResponses },
});

export function registerDeleteKeys(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const result = await deleteKeys(c.get("deps").db, ctx, body);
    return c.json(result, 200);
  });
}
