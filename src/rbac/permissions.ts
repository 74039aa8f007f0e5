import { and, asc, desc, eq, gt, inArray, or, sql } from "drizzle-orm";
import { RBAC } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { permissions } from "../db/schema.ts";
import { KeyholdError, notFound } from "../errors.ts";
import { derivedId } from "../ids.ts";
import { MAX_LIST_LIMIT } from "../paging.ts";
import { type PermissionView, toPermissionView } from "./views.ts";

/**
 * The workspace's permissions (v1 and v2 `permissions.*Permission`). Keys and roles reference
 * a permission by its slug; deleting one removes it from every key and role holding it, in
 * the one DELETE (foreign keys with ON DELETE CASCADE, drizzle/0005), and the triggers tell
 * every instance's verify cache which keys changed.
 */

export interface CreatePermissionInput {
  name: string;
  /** What keys reference; v1 defaults it to the name. */
  slug: string;
  description?: string;
}

export async function createPermission(db: Database, ctx: RootKeyContext, input: CreatePermissionInput): Promise<{ permissionId: string }> {
  requirePermission(ctx, RBAC.createPermission);
  // The id v2 answers for this slug on a key (src/ids.ts), so a key's permission and the entity agree.
  const id = derivedId("perm", ctx.workspaceId, input.slug);
  const inserted = await db
    .insert(permissions)
    .values({ id, workspaceId: ctx.workspaceId, name: input.name, slug: input.slug, description: input.description ?? null, createdAt: Date.now() })
    .onConflictDoNothing()
    .returning({ id: permissions.id });
  if (inserted.length === 0) throw new KeyholdError("CONFLICT", `A permission with slug "${input.slug}" already exists in this workspace.`);
  return { permissionId: id };
}

/**
 * A permission of the caller's workspace by id or slug (v2 accepts either), or NOT_FOUND: another
 * workspace's permission answers exactly like a missing one. An id wins over a slug that
 * happens to look like one.
 */
export async function findPermission(db: Database, workspaceId: string, ref: string): Promise<typeof permissions.$inferSelect> {
  const [row] = await db
    .select()
    .from(permissions)
    .where(and(eq(permissions.workspaceId, workspaceId), or(eq(permissions.id, ref), eq(permissions.slug, ref))))
    .orderBy(desc(sql`${permissions.id} = ${ref}`))
    .limit(1);
  if (!row) throw notFound("permission");
  return row;
}

export async function getPermission(db: Database, ctx: RootKeyContext, ref: string): Promise<PermissionView> {
  requirePermission(ctx, RBAC.readPermission);
  return toPermissionView(await findPermission(db, ctx.workspaceId, ref));
}

/** v1's lists have no pagination in Unkey's SDK: they answer up to this many at once (v2 pages by 100). */
export const V1_LIST_LIMIT = 1000;

export interface ListInput {
  /** 100 unless given; at most V1_LIST_LIMIT. */
  limit?: number;
  /** The last id of the previous page. */
  cursor?: string;
  /** Keeps those whose name (or slug) contains this text, case-insensitively. */
  search?: string;
}

/** A page of permissions in id order: at most `limit`; `cursor` continues while there are more. */
export async function listPermissions(db: Database, ctx: RootKeyContext, input: ListInput): Promise<{ permissions: PermissionView[]; cursor?: string }> {
  requirePermission(ctx, RBAC.readPermission);
  const limit = Math.min(input.limit ?? MAX_LIST_LIMIT, V1_LIST_LIMIT);
  const rows = await db
    .select()
    .from(permissions)
    .where(
      and(
        eq(permissions.workspaceId, ctx.workspaceId),
        input.cursor !== undefined ? gt(permissions.id, input.cursor) : undefined,
        input.search !== undefined ? sql`(strpos(lower(${permissions.name}), lower(${input.search})) > 0 or strpos(lower(${permissions.slug}), lower(${input.search})) > 0)` : undefined,
      ),
    )
    .orderBy(asc(permissions.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return { permissions: page.map(toPermissionView), ...(rows.length > limit && { cursor: page.at(-1)!.id }) };
}

/** Deletes a permission and, in the same statement, every key's and role's hold of it. */
export async function deletePermission(db: Database, ctx: RootKeyContext, ref: string): Promise<void> {
  requirePermission(ctx, RBAC.deletePermission);
  const row = await findPermission(db, ctx.workspaceId, ref);
  const deleted = await db
    .delete(permissions)
    .where(and(eq(permissions.id, row.id), eq(permissions.workspaceId, ctx.workspaceId)))
    .returning({ id: permissions.id });
  if (deleted.length === 0) throw notFound("permission"); // deleted meanwhile
}

/** The workspace's permissions of these slugs, sorted by slug: a key's list as v2 shows it (with names and descriptions). */
export async function describePermissions(db: Database, workspaceId: string, slugs: string[]): Promise<PermissionView[]> {
  if (slugs.length === 0) return [];
  const rows = await db
    .select()
    .from(permissions)
    .where(and(eq(permissions.workspaceId, workspaceId), inArray(permissions.slug, slugs)))
    .orderBy(asc(permissions.slug));
  return rows.map(toPermissionView);
}
