import { createRoute, z } from "@hono/zod-openapi";
import { getOverride } from "../../ratelimits/overrides.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { identifier, ratelimitPermission } from "../routes/ratelimit-schemas.ts";
import { jsonResponse } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { NEEDS_NAMESPACE, hasNamespaceRef, namespaceRefFields, toNamespaceRef, v1OverrideSchema } from "./ratelimits-namespace-ref.ts";

const route = createRoute({
  operationId: "ratelimits.getOverride",
  tags: ["v1 ratelimits"],
  method: "get",
  path: "/v1/ratelimits.getOverride",
  ...rootKeyRequired(ratelimitPermission("read_override")),
  description:
    "The override set for exactly `identifier` (a pattern by its pattern) in the namespace named by `namespaceId` or `namespaceName`.\n\n" +
    "Permission: `ratelimit.*.read_override` or `ratelimit.<namespaceId>.read_override`.",
  request: { query: z.object({ ...namespaceRefFields, identifier }).refine(hasNamespaceRef, { message: NEEDS_NAMESPACE }) },
  responses: { ...jsonResponse(v1OverrideSchema, "The override."), ...errorResponses },
});

export function registerRatelimitsGetOverride(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const query = c.req.valid("query");
    const o = await getOverride(c.get("deps"), ctx, toNamespaceRef(query), query.identifier, { match: "exact" });
    return c.json({ id: o.id, identifier: o.identifier, limit: o.limit, duration: o.duration, async: o.async }, 200);
  });
}
