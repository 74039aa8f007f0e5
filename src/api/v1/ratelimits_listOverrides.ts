import { createRoute, z } from "@hono/zod-openapi";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import { listOverrides } from "../../ratelimits/overrides.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { ratelimitPermission } from "../routes/ratelimit-schemas.ts";
import { jsonResponse, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { NEEDS_NAMESPACE, hasNamespaceRef, namespaceRefFields, toNamespaceRef, v1OverrideSchema } from "./ratelimits-namespace-ref.ts";

const route = createRoute({
  operationId: "ratelimits.listOverrides",
  tags: ["v1 ratelimits"],
  method: "get",
  path: "/v1/ratelimits.listOverrides",
  ...rootKeyRequired(ratelimitPermission("read_override")),
  description:
    "A namespace's overrides, oldest first, `limit` (default and at most 100) a page, with `total`; `cursor` in the answer means there are more (pass it back).\n\n" +
    "Permission: `ratelimit.*.read_override` or `ratelimit.<namespaceId>.read_override`.",
  request: {
    query: z
      .object({ ...namespaceRefFields, limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).optional(), cursor: text().optional() })
      .refine(hasNamespaceRef, { message: NEEDS_NAMESPACE }),
  },
  responses: {
    ...jsonResponse(z.object({ overrides: z.array(v1OverrideSchema), cursor: z.string().optional(), total: z.number().int() }), "A page of overrides."),
    ...errorResponses,
  },
});

export function registerRatelimitsListOverrides(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const query = c.req.valid("query");
    const page = await listOverrides(c.get("deps"), ctx, toNamespaceRef(query), { limit: query.limit ?? MAX_LIST_LIMIT, cursor: query.cursor });
    const overrides = page.overrides.map((o) => ({ id: o.id, identifier: o.identifier, limit: o.limit, duration: o.duration, async: o.async }));
    return c.json({ overrides, total: page.total, ...(page.cursor !== undefined && { cursor: page.cursor }) }, 200);
  });
}
