import { sql } from "drizzle-orm";
import { keyPermissions, keyRoles, keys, permissions, rolePermissions, roles } from "../db/schema.ts";

const roleNames = () =>
  sql<string[]>`coalesce((select array_agg(${keyRoles.name} order by ${keyRoles.name}) from ${keyRoles} where ${keyRoles.keyId} = ${keys.id}), '{}')`.as("roles");

/**
 * A key's own permission and role names as sorted arrays, selected beside its row: one query
 * instead of a second round trip for the names (getKey, and rerollKey, which copies them).
 */
export function keyNameColumns() {
  return {
    permissions: sql<string[]>`coalesce((select array_agg(${keyPermissions.name} order by ${keyPermissions.name}) from ${keyPermissions} where ${keyPermissions.keyId} = ${keys.id}), '{}')`.as("permissions"),
    roles: roleNames(),
  };
}

/**
 * What verify needs: the key's effective permissions (its own plus those of its roles, each
 * once, sorted) and its role names, still inside verify's one indexed lookup. The role part
 * walks key_roles → roles (unique by workspace and name) → role_permissions → permissions,
 * all by primary key or unique index; a key without roles pays one empty index probe.
 */
export function verifyNameColumns() {
  return {
    permissions: sql<string[]>`coalesce((select array_agg(held.slug order by held.slug) from (
      select ${keyPermissions.name} as slug from ${keyPermissions} where ${keyPermissions.keyId} = ${keys.id}
      union
      select ${permissions.slug} from ${keyRoles}
        join ${roles} on ${roles.workspaceId} = ${keyRoles.workspaceId} and ${roles.name} = ${keyRoles.name}
        join ${rolePermissions} on ${rolePermissions.roleId} = ${roles.id}
        join ${permissions} on ${permissions.id} = ${rolePermissions.permissionId}
        where ${keyRoles.keyId} = ${keys.id}
    ) held), '{}')`.as("permissions"),
    roles: roleNames(),
  };
}
