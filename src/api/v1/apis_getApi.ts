import { createRoute, z } from "@hono/zod-openapi";
import { getApi } from "../../apis/apis.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { id, jsonResponse } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired } from "../routes/route-security.ts";

export const apiSchema = z
  .object({ id: z.string(), workspaceId: z.string(), name: z.string(), recovery: z.object({ enabled: z.boolean() }) })
  .openapi("Api");

const route = createRoute({
  operationId: "apis.getApi",
  tags: ["v1 apis"],
  method: "get",
  path: "/v1/apis.getApi",
  ...rootKeyRequired(apiPermission("read_api")),
  description: "Reads an API.\n\nPermission: `api.*.read_api` or `api.<apiId>.read_api`.",
  request: { query: z.object({ apiId: id("api_1234") }) },
  responses: { ...jsonResponse(apiSchema, "The API."), ...errorResponses },
});

export function registerGetApi(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { apiId } = c.req.valid("query");
    return c.json(await getApi(c.get("deps").db, ctx, apiId), 200);
  });
}
