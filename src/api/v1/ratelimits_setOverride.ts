import { createRoute, z } from "@hono/zod-openapi";
import { setOverride } from "../../ratelimits/overrides.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { overrideLimit, ratelimitPermission, windowMs } from "../routes/ratelimit-schemas.ts";
import { jsonBody, jsonResponse, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { NEEDS_NAMESPACE, hasNamespaceRef, namespaceRefFields, toNamespaceRef } from "./ratelimits-namespace-ref.ts";

const route = createRoute({
  operationId: "ratelimits.setOverride",
  tags: ["v1 ratelimits"],
  method: "post",
  path: "/v1/ratelimits.setOverride",
  ...rootKeyRequired(ratelimitPermission("set_override")),
  description:
    "Sets (or replaces, keeping its id) the limit and duration of `identifier` (at least 3 characters, as Unkey v1; `*` matches any characters) " +
    "in the namespace named by `namespaceId` or `namespaceName`. See `/v2/ratelimit.setOverride`.\n\n" +
    "Permission: `ratelimit.*.set_override` or `ratelimit.<namespaceId>.set_override`.",
  request: jsonBody(
    z
      .object({ ...namespaceRefFields, identifier: text(512).pipe(z.string().min(3)), limit: overrideLimit, duration: windowMs, async: z.boolean().optional() })
      .refine(hasNamespaceRef, { message: NEEDS_NAMESPACE }),
  ),
  responses: { ...jsonResponse(z.object({ overrideId: z.string() }), "The override's id."), ...errorResponses },
});

export function registerRatelimitsSetOverride(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const { db, namespaceCache } = c.get("deps");
    const input = { identifier: body.identifier, limit: body.limit, duration: body.duration, async: body.async ?? false };
    return c.json(await setOverride({ db, namespaceCache }, ctx, toNamespaceRef(body), input), 200);
  });
}
