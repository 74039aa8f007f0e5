import { z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { setRolePermissions } from "../../rbac/roles.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { names, text } from "../routes/schemas.ts";
import { v2Data } from "./envelope.ts";
import { permissionData } from "./key-data.ts";
import { toPermissionData } from "./rbac-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "permissions.setRolePermissions",
  summary: "Set a role's permissions",
  description:
    "Replaces the permissions of a role (by id or name) with exactly these slugs, in one transaction, and answers them sorted by slug; an empty list removes all. " +
    "A slug new to the workspace is created, which needs `rbac.*.create_permission`. Every key holding the role verifies with the new set at once, on every instance.\n\n" +
    "Permission: `rbac.*.add_permission_to_role` and `rbac.*.remove_permission_from_role`.",
  permissions: [
    { anyOf: [RBAC.addPermissionToRole] },
    { anyOf: [RBAC.removePermissionFromRole] },
    { anyOf: [RBAC.createPermission], when: "a permission new to the workspace" },
  ],
  request: z.object({ roleId: text(512).openapi({ example: "dns-admin" }), permissions: names.openapi({ example: ["dns.read", "dns.write"] }) }),
  data: z.array(permissionData),
});

export function registerV2SetRolePermissions(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const granted = await setRolePermissions(c.get("deps").db, ctx, { role: body.roleId, permissions: body.permissions });
    return v2Data(c, granted.map(toPermissionData));
  });
}
