import { createRoute, z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { getPermission } from "../../rbac/permissions.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { jsonResponse, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { toV1Permission, v1PermissionSchema } from "./rbac-schemas.ts";

const route = createRoute({
  operationId: "permissions.getPermission",
  tags: ["v1 permissions"],
  method: "get",
  path: "/v1/permissions.getPermission",
  ...rootKeyRequired({ anyOf: [RBAC.readPermission] }),
  description: "Reads a permission by id (or slug).\n\nPermission: `rbac.*.read_permission`.",
  request: { query: z.object({ permissionId: text(512).openapi({ example: "perm_1234" }) }) },
  responses: { ...jsonResponse(v1PermissionSchema, "The permission."), ...errorResponses },
});

export function registerGetPermission(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return c.json(toV1Permission(await getPermission(c.get("deps").db, ctx, c.req.valid("query").permissionId)), 200);
  });
}
