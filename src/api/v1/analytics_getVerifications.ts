import { createRoute, z } from "@hono/zod-openapi";
import { getVerifications } from "../../analytics/query.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { toVerificationQuery, v1AnalyticsQuery, verificationRow } from "../routes/analytics-schemas.ts";
import { jsonResponse } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "analytics.getVerifications",
  tags: ["v1 analytics"],
  method: "get",
  path: "/v1/analytics.getVerifications",
  ...rootKeyRequired(apiPermission("read_api")),
  description:
    "Verification counts of an API's keys, per outcome: one row over the range, or one per `groupBy` bucket (hour, day, month, UTC), key, tag or tag set. " +
    "Counts are written about once a second, so the last second may be missing.\n\n" +
    "Permission: `api.*.read_api` or `api.<apiId>.read_api` (as Unkey's v1; v2 asks `read_analytics`).",
  request: { query: v1AnalyticsQuery },
  responses: { ...jsonResponse(z.array(verificationRow), "The rows, ordered by time and groups unless `orderBy` says otherwise."), ...errorResponses },
});

export function registerAnalyticsGetVerifications(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const rows = await getVerifications(c.get("deps").db, ctx, toVerificationQuery(c.req.valid("query")), { action: "read_api" }, { missingApi: "notFound" });
    return c.json(rows, 200);
  });
}
