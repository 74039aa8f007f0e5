import { createRoute, z } from "@hono/zod-openapi";
import { createApi } from "../../apis/apis.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { jsonBody, jsonResponse, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "apis.createApi",
  tags: ["v1 apis"],
  method: "post",
  path: "/v1/apis.createApi",
  ...rootKeyRequired({ anyOf: ["api.*.create_api"] }),
  description: "Creates an API, the namespace that keys belong to.\n\nPermission: `api.*.create_api`.",
  request: jsonBody(z.object({ name: text().openapi({ example: "payments" }) })),
  responses: { ...jsonResponse(z.object({ apiId: z.string() }), "The new API's id."), ...errorResponses },
});

export function registerCreateApi(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { name } = c.req.valid("json");
    return c.json(await createApi(c.get("deps").db, ctx, name), 200);
  });
}
