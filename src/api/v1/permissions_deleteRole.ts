import { createRoute, z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { deleteRole } from "../../rbac/roles.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { jsonBody, jsonResponse, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "permissions.deleteRole",
  tags: ["v1 permissions"],
  method: "post",
  path: "/v1/permissions.deleteRole",
  ...rootKeyRequired({ anyOf: [RBAC.deleteRole] }),
  description: "Deletes a role (by id, or name) and, in the same transaction, removes it from every key holding it.\n\nPermission: `rbac.*.delete_role`.",
  request: jsonBody(z.object({ roleId: text(512).openapi({ example: "role_1234" }) })),
  responses: { ...jsonResponse(z.object({}), "Deleted."), ...errorResponses },
});

export function registerDeleteRole(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    await deleteRole(c.get("deps").db, ctx, c.req.valid("json").roleId);
    return c.json({}, 200);
  });
}
