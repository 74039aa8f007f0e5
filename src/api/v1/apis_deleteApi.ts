import { createRoute, z } from "@hono/zod-openapi";
import { deleteApi } from "../../apis/apis.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { emptyObject, id, jsonBody, jsonResponse } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "apis.deleteApi",
  tags: ["v1 apis"],
  method: "post",
  path: "/v1/apis.deleteApi",
  ...rootKeyRequired(apiPermission("delete_api")),
  description: "Deletes an API and all its keys (they answer NOT_FOUND at once).\n\nPermission: `api.*.delete_api` or `api.<apiId>.delete_api`.",
  request: jsonBody(z.object({ apiId: id("api_1234") })),
  responses: { ...jsonResponse(emptyObject, "Deleted."), ...errorResponses },
});

export function registerDeleteApi(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { apiId } = c.req.valid("json");
    await deleteApi(c.get("deps").db, ctx, apiId);
    return c.json({}, 200);
  });
}
