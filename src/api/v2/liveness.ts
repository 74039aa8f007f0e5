import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../env.ts";
import { publicRoute } from "../routes/route-security.ts";
import { v2Data, v2Response } from "./envelope.ts";

const route = createRoute({
  operationId: "v2.liveness",
  tags: ["v2 health"],
  method: "get",
  path: "/v2/liveness",
  ...publicRoute(),
  description: "The process is up. Needs no root key.",
  responses: v2Response(z.object({ message: z.string() }), "Up."),
});

export function registerV2Liveness(app: App): void {
  app.openapi(route, (c) => v2Data(c, { message: "OK" }));
}
