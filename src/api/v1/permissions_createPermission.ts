import { createRoute, z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { createPermission } from "../../rbac/permissions.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { description, jsonBody, jsonResponse, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "permissions.createPermission",
  tags: ["v1 permissions"],
  method: "post",
  path: "/v1/permissions.createPermission",
  ...rootKeyRequired({ anyOf: [RBAC.createPermission] }),
  description:
    "Creates a permission of the workspace. Keys hold it by `slug`, which is the `name` unless given (so in v1 a key's permission is its name). A slug already taken is a 409.\n\n" +
    "Permission: `rbac.*.create_permission`.",
  request: jsonBody(z.object({ name: text(512).openapi({ example: "dns.read" }), slug: text(512).optional(), description: description.optional() })),
  responses: { ...jsonResponse(z.object({ permissionId: z.string() }), "The new permission's id."), ...errorResponses },
});

export function registerCreatePermission(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    return c.json(await createPermission(c.get("deps").db, ctx, { name: body.name, slug: body.slug ?? body.name, description: body.description }), 200);
  });
}
