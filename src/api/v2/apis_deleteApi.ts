import { z } from "@hono/zod-openapi";
import { deleteApi } from "../../apis/apis.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { id } from "../routes/schemas.ts";
import { apiPermission } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "apis.deleteApi",
  summary: "Delete an API",
  description: "Deletes an API and every key in it: they answer NOT_FOUND at once.\n\nPermission: `api.*.delete_api` or `api.<apiId>.delete_api`.",
  permissions: [apiPermission("delete_api")],
  request: z.object({ apiId: id("api_1234") }),
  data: z.object({}),
});

export function registerV2DeleteApi(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    await deleteApi(c.get("deps").db, ctx, c.req.valid("json").apiId);
    return v2Data(c, {});
  });
}
