import { and, asc, desc, eq, gt, inArray, notInArray, or, sql } from "drizzle-orm";
import { RBAC } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { permissions, rolePermissions, roles } from "../db/schema.ts";
import { KeyholdError, notFound } from "../errors.ts";
import { derivedId } from "../ids.ts";
import { MAX_LIST_LIMIT, cutByBytes } from "../paging.ts";
import { ensurePermissions } from "./ensure-entities.ts";
import { type ListInput, V1_LIST_LIMIT } from "./permissions.ts";
import { type PermissionView, type RoleView, toPermissionView, toRoleView } from "./views.ts";

/**
 * The workspace's roles (v1 and v2 `permissions.*Role`, v2 `setRolePermissions`). A key holds
 * a role by name; its effective permissions are its own plus its roles' (verify's lookup,
 * src/keys/key-name-columns.ts). Changing a role's permissions or deleting it reaches every
 * key holding it: the role_permissions triggers (drizzle/0005) and the key_roles triggers
 * (drizzle/0001) name each such key to every instance's verify cache.
 */

type RoleRow = typeof roles.$inferSelect;

export interface CreateRoleInput {
  name: string;
  description?: string;
  /** Slugs; missing ones are created (rbac.*.create_permission). */
  permissions?: string[];
}

export async function createRole(db: Database, ctx: RootKeyContext, input: CreateRoleInput): Promise<{ roleId: string }> {
  requirePermission(ctx, RBAC.createRole);
  const slugs = [...new Set(input.permissions ?? [])];
  if (slugs.length > 0) requirePermission(ctx, RBAC.addPermissionToRole);
  // The id v2 answered for this role name on keys before roles were stored (src/ids.ts).
  const id = derivedId("role", ctx.workspaceId, input.name);
  await db.transaction(async (tx) => {
    const inserted = await tx
      .insert(roles)
      .values({ id, workspaceId: ctx.workspaceId, name: input.name, description: input.description ?? null, createdAt: Date.now() })
      .onConflictDoNothing()
      .returning({ id: roles.id });
    if (inserted.length === 0) throw new KeyholdError("CONFLICT", `A role named "${input.name}" already exists in this workspace.`);
    await grant(tx, ctx, id, slugs);
  });
  return { roleId: id };
}

/** Adds these slugs (created if missing and allowed) to a role, inside the caller's transaction. */
async function grant(tx: Database, ctx: RootKeyContext, roleId: string, slugs: string[]): Promise<void> {
  if (slugs.length === 0) return;
  await ensurePermissions(tx, ctx, slugs);
  const ids = slugs.map((slug) => ({ roleId, permissionId: derivedId("perm", ctx.workspaceId, slug) }));
  // The ids of existing permissions are derived too (createPermission, drizzle/0005), so no lookup is needed.
  await tx.insert(rolePermissions).values(ids).onConflictDoNothing();
}

/** A role of the caller's workspace by id or name, or NOT_FOUND (another workspace's looks the same). */
export async function findRole(db: Database, workspaceId: string, ref: string): Promise<RoleRow> {
  const [row] = await db
    .select()
    .from(roles)
    .where(and(eq(roles.workspaceId, workspaceId), or(eq(roles.id, ref), eq(roles.name, ref))))
    .orderBy(desc(sql`${roles.id} = ${ref}`))
    .limit(1);
  if (!row) throw notFound("role");
  return row;
}

/** The permissions of these roles, each role's sorted by slug. */
async function permissionsOf(db: Database, roleIds: string[]): Promise<Map<string, PermissionView[]>> {
  const out = new Map(roleIds.map((id) => [id, [] as PermissionView[]]));
  if (roleIds.length === 0) return out;
  const rows = await db
    .select({ roleId: rolePermissions.roleId, permission: permissions })
    .from(rolePermissions)
    .innerJoin(permissions, eq(permissions.id, rolePermissions.permissionId))
    .where(inArray(rolePermissions.roleId, roleIds))
    .orderBy(asc(permissions.slug));
  for (const { roleId, permission } of rows) out.get(roleId)?.push(toPermissionView(permission));
  return out;
}

export async function getRole(db: Database, ctx: RootKeyContext, ref: string): Promise<RoleView> {
  requirePermission(ctx, RBAC.readRole);
  const row = await findRole(db, ctx.workspaceId, ref);
  return toRoleView(row, (await permissionsOf(db, [row.id])).get(row.id)!);
}

/** JSON bytes of a role's permissions, summed by the database, so a page is cut before they are loaded. */
const grantedBytes = sql<number>`(select coalesce(sum(octet_length(${permissions.name}) + octet_length(${permissions.slug}) + coalesce(octet_length(${permissions.description}), 0) + 120), 0)
  from ${rolePermissions} join ${permissions} on ${permissions.id} = ${rolePermissions.permissionId} where ${rolePermissions.roleId} = ${roles.id})`.mapWith(Number);

/**
 * A page of roles in id order with their permissions: at most `limit` roles and, since a
 * role may grant many permissions, at most 1 MiB of JSON (always at least one role).
 */
export async function listRoles(db: Database, ctx: RootKeyContext, input: ListInput): Promise<{ roles: RoleView[]; cursor?: string }> {
  requirePermission(ctx, RBAC.readRole);
  const limit = Math.min(input.limit ?? MAX_LIST_LIMIT, V1_LIST_LIMIT);
  const rows = await db
    .select({ role: roles, bytes: grantedBytes })
    .from(roles)
    .where(
      and(
        eq(roles.workspaceId, ctx.workspaceId),
        input.cursor !== undefined ? gt(roles.id, input.cursor) : undefined,
        input.search !== undefined ? sql`strpos(lower(${roles.name}), lower(${input.search})) > 0` : undefined,
      ),
    )
    .orderBy(asc(roles.id))
    .limit(limit + 1);
  const page = cutByBytes(rows.slice(0, limit), (r) => r.bytes + 200 + r.role.name.length + (r.role.description?.length ?? 0));
  const granted = await permissionsOf(db, page.map((r) => r.role.id));
  return {
    roles: page.map((r) => toRoleView(r.role, granted.get(r.role.id)!)),
    ...(rows.length > page.length && { cursor: page.at(-1)!.role.id }),
  };
}

/** Deletes a role and, in the same statement, every key's hold of it and its permission grants. */
export async function deleteRole(db: Database, ctx: RootKeyContext, ref: string): Promise<void> {
  requirePermission(ctx, RBAC.deleteRole);
  const row = await findRole(db, ctx.workspaceId, ref);
  const deleted = await db.delete(roles).where(and(eq(roles.id, row.id), eq(roles.workspaceId, ctx.workspaceId))).returning({ id: roles.id });
  if (deleted.length === 0) throw notFound("role");
}

/**
 * Replaces a role's permissions with exactly these slugs (missing ones created when allowed)
 * and answers them, sorted by slug. One transaction holding the role's row, so concurrent sets
 * apply one after the other; every key holding the role is forgotten by the verify caches.
 */
export async function setRolePermissions(db: Database, ctx: RootKeyContext, input: { role: string; permissions: string[] }): Promise<PermissionView[]> {
  requirePermission(ctx, RBAC.addPermissionToRole);
  requirePermission(ctx, RBAC.removePermissionFromRole);
  const row = await findRole(db, ctx.workspaceId, input.role);
  const slugs = [...new Set(input.permissions)];
  return db.transaction(async (tx) => {
    const [locked] = await tx.select({ id: roles.id }).from(roles).where(and(eq(roles.id, row.id), eq(roles.workspaceId, ctx.workspaceId))).for("update");
    if (!locked) throw notFound("role"); // deleted meanwhile
    const keep = slugs.map((slug) => derivedId("perm", ctx.workspaceId, slug));
    // Only what changes is written: an unchanged set sends no notices.
    await tx
      .delete(rolePermissions)
      .where(and(eq(rolePermissions.roleId, row.id), keep.length > 0 ? notInArray(rolePermissions.permissionId, keep) : undefined));
    await grant(tx, ctx, row.id, slugs);
    return (await permissionsOf(tx, [row.id])).get(row.id)!;
  });
}
