import { z } from "@hono/zod-openapi";
import type { PermissionView, RoleView } from "../../rbac/views.ts";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import { text } from "../routes/schemas.ts";
import { permissionData } from "./key-data.ts";

/** v2's shapes of the workspace's permissions and roles (Permission, Role), shared by the permissions.* routes. */

export const roleWithPermissionsData = z
  .object({ id: z.string(), name: z.string(), description: z.string().optional(), permissions: z.array(permissionData).optional() })
  .openapi("V2RoleWithPermissions", { description: "A role of the workspace and the permissions it grants to every key holding it." });

export const toPermissionData = (p: PermissionView) => ({ id: p.id, name: p.name, slug: p.slug, ...(p.description !== undefined && { description: p.description }) });

export const toRoleData = (r: RoleView) => ({
  id: r.id,
  name: r.name,
  ...(r.description !== undefined && { description: r.description }),
  permissions: r.permissions.map(toPermissionData),
});

/** Body of listPermissions and listRoles. */
export const listRequest = z.object({
  limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
  cursor: text(1024).optional(),
  search: text(256).optional(),
});
