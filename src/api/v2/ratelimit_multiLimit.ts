import { z } from "@hono/zod-openapi";
import { multiLimit } from "../../ratelimits/standalone-limits.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { createNamespacePermission, ratelimitPermission } from "../routes/ratelimit-schemas.ts";
import { v2Data } from "./envelope.ts";
import { v2LimitRequest } from "./ratelimit_limit.ts";
import { v2Route } from "./route.ts";

/** As Unkey's: 1 to 100 checks. */
const MAX_CHECKS = 100;

const route = v2Route({
  operation: "ratelimit.multiLimit",
  summary: "Check several rate limits, all or nothing",
  description:
    "Makes every check of the list as `/v2/ratelimit.limit` would and answers each, in order. All or nothing, as Unkey's: the windows keep the " +
    "costs only if every check fitted (`passed`); otherwise nothing is consumed, and a check that fitted says so with what is still left. " +
    "One transaction.\n\nPermission: `ratelimit.*.limit`, or `ratelimit.<namespaceId>.limit` for every namespace named; new namespaces also need `ratelimit.*.create_namespace`.",
  permissions: [ratelimitPermission("limit"), createNamespacePermission],
  request: z.array(v2LimitRequest).min(1).max(MAX_CHECKS),
  data: z.object({
    passed: z.boolean(),
    limits: z.array(
      z.object({
        namespace: z.string(),
        identifier: z.string(),
        passed: z.boolean(),
        limit: z.number().int(),
        remaining: z.number().int(),
        reset: z.number().int(),
        overrideId: z.string().optional(),
      }),
    ),
  }),
});

export function registerV2RatelimitMultiLimit(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { db, namespaceCache } = c.get("deps");
    const checks = c.req.valid("json").map((check) => ({ ...check, cost: check.cost ?? 1 }));
    const result = await multiLimit({ db, namespaceCache }, ctx, checks, { missingNamespace: "INSUFFICIENT_PERMISSIONS" });
    return v2Data(c, {
      passed: result.passed,
      limits: result.limits.map((l) => ({
        namespace: l.namespace,
        identifier: l.identifier,
        passed: l.passed,
        limit: l.limit,
        remaining: l.remaining,
        reset: l.reset,
        ...(l.overrideId !== undefined && { overrideId: l.overrideId }),
      })),
    });
  });
}
