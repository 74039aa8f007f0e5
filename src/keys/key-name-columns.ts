import { sql } from "drizzle-orm";
import { keyPermissions, keyRoles, keys } from "../db/schema.ts";

/**
 * A key's permission and role names as sorted arrays, selected beside its row: one query
 * instead of a second round trip for the names (getKey, verifyKey).
 */
export function keyNameColumns() {
  return {
    permissions: sql<string[]>`coalesce((select array_agg(${keyPermissions.name} order by ${keyPermissions.name}) from ${keyPermissions} where ${keyPermissions.keyId} = ${keys.id}), '{}')`.as("permissions"),
    roles: sql<string[]>`coalesce((select array_agg(${keyRoles.name} order by ${keyRoles.name}) from ${keyRoles} where ${keyRoles.keyId} = ${keys.id}), '{}')`.as("roles"),
  };
}
