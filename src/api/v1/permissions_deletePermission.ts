import { createRoute, z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { deletePermission } from "../../rbac/permissions.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { jsonBody, jsonResponse, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "permissions.deletePermission",
  tags: ["v1 permissions"],
  method: "post",
  path: "/v1/permissions.deletePermission",
  ...rootKeyRequired({ anyOf: [RBAC.deletePermission] }),
  description:
    "Deletes a permission (by id, or slug) and, in the same transaction, removes it from every key and role holding it.\n\nPermission: `rbac.*.delete_permission`.",
  request: jsonBody(z.object({ permissionId: text(512).openapi({ example: "perm_1234" }) })),
  responses: { ...jsonResponse(z.object({}), "Deleted."), ...errorResponses },
});

export function registerDeletePermission(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    await deletePermission(c.get("deps").db, ctx, c.req.valid("json").permissionId);
    return c.json({}, 200);
  });
}
