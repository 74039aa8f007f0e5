import { exposition, metricsAuthorized } from "../../metrics/scrape.ts";
import type { App } from "../env.ts";
import { errorResponse } from "../errors.ts";

/** Prometheus text from this app's own registry; kept out of the OpenAPI document (not part of the key API). */
export function registerMetrics(app: App): void {
  app.get("/metrics", async (c) => {
    if (!metricsAuthorized(c.get("deps").metricsToken, c.req.header("Authorization"))) {
      return errorResponse(c, "UNAUTHORIZED", "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.");
    }
    const { body, contentType } = await exposition(c.get("metrics").registry);
    return c.body(body, 200, { "Content-Type": contentType });
  });
}
