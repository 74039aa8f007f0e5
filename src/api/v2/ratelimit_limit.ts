import { z } from "@hono/zod-openapi";
import { limit } from "../../ratelimits/standalone-limits.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { LIMIT_DESCRIPTION, cost, createNamespacePermission, identifier, limitValue, namespaceName, ratelimitPermission, windowMs } from "../routes/ratelimit-schemas.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

export const v2LimitRequest = z.object({ namespace: namespaceName, identifier, limit: limitValue, duration: windowMs, cost: cost.optional() });

const route = v2Route({
  operation: "ratelimit.limit",
  summary: "Check a rate limit",
  description: `${LIMIT_DESCRIPTION}\n\nPermission: \`ratelimit.*.limit\` or \`ratelimit.<namespaceId>.limit\`; a new namespace also needs \`ratelimit.*.create_namespace\`.`,
  permissions: [ratelimitPermission("limit"), createNamespacePermission],
  request: v2LimitRequest,
  data: z.object({ success: z.boolean(), limit: z.number().int(), remaining: z.number().int(), reset: z.number().int(), overrideId: z.string().optional() }),
});

export function registerV2RatelimitLimit(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const { db, namespaceCache } = c.get("deps");
    const result = await limit({ db, namespaceCache }, ctx, { ...body, cost: body.cost ?? 1 }, { missingNamespace: "INSUFFICIENT_PERMISSIONS" });
    return v2Data(c, {
      success: result.passed,
      limit: result.limit,
      remaining: result.remaining,
      reset: result.reset,
      ...(result.overrideId !== undefined && { overrideId: result.overrideId }),
    });
  });
}
