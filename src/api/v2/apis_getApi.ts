import { z } from "@hono/zod-openapi";
import { getApi } from "../../apis/apis.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { id } from "../routes/schemas.ts";
import { apiPermission } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "apis.getApi",
  summary: "Get an API",
  description: "Reads an API's id and name.\n\nPermission: `api.*.read_api` or `api.<apiId>.read_api`.",
  permissions: [apiPermission("read_api")],
  request: z.object({ apiId: id("api_1234") }),
  data: z.object({ id: z.string(), name: z.string() }),
});

export function registerV2GetApi(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const api = await getApi(c.get("deps").db, ctx, c.req.valid("json").apiId);
    return v2Data(c, { id: api.id, name: api.name });
  });
}
