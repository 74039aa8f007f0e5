import { z } from "@hono/zod-openapi";
import { createApi } from "../../apis/apis.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { text } from "../routes/schemas.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "apis.createApi",
  summary: "Create an API",
  description: "Creates an API, the namespace keys belong to.\n\nPermission: `api.*.create_api`.",
  permissions: [{ anyOf: ["api.*.create_api"] }],
  request: z.object({ name: text().openapi({ example: "payments" }) }),
  data: z.object({ apiId: z.string() }),
});

export function registerV2CreateApi(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return v2Data(c, await createApi(c.get("deps").db, ctx, c.req.valid("json").name));
  });
}
