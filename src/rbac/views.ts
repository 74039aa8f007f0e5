import type { permissions, roles } from "../db/schema.ts";

/** A permission as both versions show it (v1 and v2 share the shape). */
export interface PermissionView {
  id: string;
  name: string;
  slug: string;
  description?: string;
  createdAt: number;
}

/** A role; `permissions` sorted by slug (v2 shows them, v1 leaves them out). */
export interface RoleView {
  id: string;
  name: string;
  description?: string;
  createdAt: number;
  permissions: PermissionView[];
}

export function toPermissionView(row: typeof permissions.$inferSelect): PermissionView {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    ...(row.description !== null && { description: row.description }),
    createdAt: row.createdAt,
  };
}

export function toRoleView(row: typeof roles.$inferSelect, granted: PermissionView[]): RoleView {
  return {
    id: row.id,
    name: row.name,
    ...(row.description !== null && { description: row.description }),
    createdAt: row.createdAt,
    permissions: granted,
  };
}
