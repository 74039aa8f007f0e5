import type { MiddlewareHandler } from "hono";
import type { ApiMetrics } from "../../metrics/api-metrics.ts";
import type { AppEnv } from "../env.ts";

const knownMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Hands routes the app's metrics and counts every answered request by route pattern and status. */
export function recordMetrics(metrics: ApiMetrics): MiddlewareHandler<AppEnv> {
  return async function recordMetrics(c, next) {
    c.set("metrics", metrics);
    await next();
    // The route pattern, not the path: ids in paths would make the label unbounded ("/*": no route matched).
    metrics.observeRequest(knownMethods.has(c.req.method) ? c.req.method : "OTHER", c.req.routePath, c.res.status);
  };
}
