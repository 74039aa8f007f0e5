import { createRoute, z } from "@hono/zod-openapi";
import { checkReadiness } from "../../health/readiness.ts";
import { safeError } from "../../safe-error.ts";
import type { App } from "../env.ts";
import { errorResponse, errorResponses } from "../errors.ts";
import { jsonResponse } from "./schemas.ts";
import { publicRoute } from "./route-security.ts";

const route = createRoute({
  operationId: "readyz",
  tags: ["health"],
  method: "get",
  path: "/readyz",
  ...publicRoute(),
  description:
    "Ready to serve: the database answers, its migrations are current and the vault (if configured) answers and accepts " +
    "this API's token. 503 with the error envelope naming what is not ready otherwise. Needs no root key.",
  responses: {
    ...jsonResponse(z.object({ status: z.literal("ready"), checks: z.record(z.string(), z.string()) }), "Ready; each check with its detail."),
    503: errorResponses[503],
  },
});

export function registerReadyz(app: App): void {
  app.openapi(route, async (c) => {
    const { db, vault, logger } = c.get("deps");
    const checks = await checkReadiness({ db, vault });
    const failing = checks.filter((check) => !check.ready);
    if (failing.length === 0) return c.json({ status: "ready" as const, checks: Object.fromEntries(checks.map((x) => [x.name, x.detail])) }, 200);
    for (const check of failing) {
      if (check.error) logger.warn({ requestId: c.get("requestId"), check: check.name, err: safeError(check.error) }, "not ready");
    }
    return errorResponse(c, "SERVICE_UNAVAILABLE", `Not ready: ${failing.map((x) => `${x.name} ${x.detail}`).join("; ")}.`) as never;
  });
}
