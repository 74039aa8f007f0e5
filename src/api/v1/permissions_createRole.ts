import { createRoute, z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { createRole } from "../../rbac/roles.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { description, jsonBody, jsonResponse, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "permissions.createRole",
  tags: ["v1 permissions"],
  method: "post",
  path: "/v1/permissions.createRole",
  ...rootKeyRequired({ anyOf: [RBAC.createRole] }),
  description:
    "Creates a role of the workspace (v1 attaches no permissions here; v2's createRole and setRolePermissions do). A name already taken is a 409.\n\nPermission: `rbac.*.create_role`.",
  request: jsonBody(z.object({ name: text(512).openapi({ example: "dns-admin" }), description: description.optional() })),
  responses: { ...jsonResponse(z.object({ roleId: z.string() }), "The new role's id."), ...errorResponses },
});

export function registerCreateRole(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return c.json(await createRole(c.get("deps").db, ctx, c.req.valid("json")), 200);
  });
}
