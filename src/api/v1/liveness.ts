import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../env.ts";
import { jsonResponse } from "../routes/schemas.ts";
import { publicRoute } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "liveness",
  tags: ["v1 health"],
  method: "get",
  path: "/v1/liveness",
  ...publicRoute(),
  description: "The process is up. Needs no root key.",
  responses: jsonResponse(z.object({ status: z.literal("ok") }), "Up."),
});

export function registerLiveness(app: App): void {
  app.openapi(route, (c) => c.json({ status: "ok" as const }, 200));
}
