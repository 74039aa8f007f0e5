import { z } from "@hono/zod-openapi";
import { getVerifications } from "../../analytics/query.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { toVerificationQuery, v2AnalyticsBody, verificationRow } from "../routes/analytics-schemas.ts";
import { apiPermission } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "analytics.getVerifications",
  summary: "Get verification analytics",
  description:
    "Verification counts per outcome, with v1's `analytics.getVerifications` parameters as a JSON body. Unkey's v2 takes a SQL `query` over its " +
    "ClickHouse tables instead; Keyhold never runs SQL sent by clients, so a body with `query` is a 400 that names these parameters.\n\n" +
    "Permission: `api.*.read_analytics`, or `api.<apiId>.read_analytics` for each API read. Without `apiId`, every API of the workspace the root key " +
    "may read. An `apiId` that is not the workspace's (v2 declares no 404) reads as an API without verifications: a single row of zeros, or no rows when grouped.",
  permissions: [apiPermission("read_analytics")],
  request: v2AnalyticsBody,
  data: z.array(verificationRow),
});

export function registerV2AnalyticsGetVerifications(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { query: _refused, ...body } = c.req.valid("json");
    const rows = await getVerifications(c.get("deps").db, ctx, toVerificationQuery(body), { action: "read_analytics" }, { missingApi: "empty" });
    return v2Data(c, rows);
  });
}
