import { createRoute, z } from "@hono/zod-openapi";
import { deleteOverride } from "../../ratelimits/overrides.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { identifier, ratelimitPermission } from "../routes/ratelimit-schemas.ts";
import { emptyObject, jsonBody, jsonResponse } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { NEEDS_NAMESPACE, hasNamespaceRef, namespaceRefFields, toNamespaceRef } from "./ratelimits-namespace-ref.ts";

const route = createRoute({
  operationId: "ratelimits.deleteOverride",
  tags: ["v1 ratelimits"],
  method: "post",
  path: "/v1/ratelimits.deleteOverride",
  ...rootKeyRequired(ratelimitPermission("delete_override")),
  description:
    "Deletes the override set for exactly `identifier` (a pattern by its pattern) in the namespace named by `namespaceId` or `namespaceName`.\n\n" +
    "Permission: `ratelimit.*.delete_override` or `ratelimit.<namespaceId>.delete_override`.",
  request: jsonBody(z.object({ ...namespaceRefFields, identifier }).refine(hasNamespaceRef, { message: NEEDS_NAMESPACE })),
  responses: { ...jsonResponse(emptyObject, "Deleted."), ...errorResponses },
});

export function registerRatelimitsDeleteOverride(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const { db, namespaceCache } = c.get("deps");
    await deleteOverride({ db, namespaceCache }, ctx, toNamespaceRef(body), body.identifier);
    return c.json({}, 200);
  });
}
