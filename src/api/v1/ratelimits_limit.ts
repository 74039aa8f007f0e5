import { createRoute, z } from "@hono/zod-openapi";
import { limit } from "../../ratelimits/standalone-limits.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { LIMIT_DESCRIPTION, cost, createNamespacePermission, identifier, limitValue, namespaceName, ratelimitPermission, windowMs } from "../routes/ratelimit-schemas.ts";
import { jsonBody, jsonResponse, meta, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";

/** Unkey v1 sent these on for its audit log; Keyhold validates and bounds them, and keeps nothing. */
const resource = z.object({ type: text(), id: text(), name: text().optional(), meta: meta.optional() });

const route = createRoute({
  operationId: "ratelimits.limit",
  tags: ["v1 ratelimits"],
  method: "post",
  path: "/v1/ratelimits.limit",
  ...rootKeyRequired(ratelimitPermission("limit"), createNamespacePermission),
  description:
    `${LIMIT_DESCRIPTION} \`namespace\` defaults to \`default\`. \`async\` is accepted and changes nothing: counting is always exact. ` +
    "`meta` and `resources` are validated and not stored.\n\n" +
    "Permission: `ratelimit.*.limit` or `ratelimit.<namespaceId>.limit`; a new namespace also needs `ratelimit.*.create_namespace` (without it: NOT_FOUND, as Unkey v1).",
  request: jsonBody(
    z.object({
      namespace: namespaceName.optional(),
      identifier,
      limit: limitValue,
      duration: windowMs,
      cost: cost.optional(),
      async: z.boolean().optional(),
      meta: meta.optional(),
      resources: z.array(resource).max(100).optional(),
    }),
  ),
  responses: {
    ...jsonResponse(z.object({ success: z.boolean(), limit: z.number().int(), remaining: z.number().int(), reset: z.number().int() }), "The verdict."),
    ...errorResponses,
  },
});

export function registerRatelimitsLimit(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const { db, namespaceCache } = c.get("deps");
    const request = { namespace: body.namespace ?? "default", identifier: body.identifier, limit: body.limit, duration: body.duration, cost: body.cost ?? 1 };
    const result = await limit({ db, namespaceCache }, ctx, request, { missingNamespace: "NOT_FOUND" });
    return c.json({ success: result.passed, limit: result.limit, remaining: result.remaining, reset: result.reset }, 200);
  });
}
