import { and, asc, eq, gt, isNull } from "drizzle-orm";
import { CUSTODY } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { rootKeys, users } from "../db/schema.ts";
import { rootQuorumOf } from "../activities/store.ts";
import { KeyholdError, notFound } from "../errors.ts";
import { newId } from "../ids.ts";
import { jsonByteLength } from "../keys/storable.ts";
import { MAX_LIST_LIMIT, cutByBytes } from "../paging.ts";

/**
 * Users: the people of a workspace (docs/custody-design.md). Every root key belongs to one, so
 * quorum counts people, never keys. Every query is scoped to the caller's workspace: another
 * workspace's user answers exactly like a missing one.
 */

export type UserRow = typeof users.$inferSelect;

export interface UserView {
  userId: string;
  name: string;
  email?: string;
  tags: string[];
  createdAt: number;
}

export function toUserView(row: UserRow): UserView {
  return { userId: row.id, name: row.name, ...(row.email !== null && { email: row.email }), tags: row.tags, createdAt: row.createdAt };
}

/**
 * A live user of the workspace, or NOT_FOUND. `lock`: "share" keeps it from being deleted until
 * the caller's transaction ends (a root key being given to it), "update" is deleteUser's own.
 */
export async function findUser(db: Database, workspaceId: string, userId: string, lock?: "share" | "update"): Promise<UserRow> {
  const query = db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), eq(users.workspaceId, workspaceId), isNull(users.deletedAt)))
    .limit(1);
  const [row] = lock ? await query.for(lock) : await query;
  if (!row) throw notFound("user");
  return row;
}

/** The workspace's oldest live user: whom a root key made without a named user belongs to. */
export async function firstUser(db: Database, workspaceId: string): Promise<UserRow> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.workspaceId, workspaceId), isNull(users.deletedAt)))
    .orderBy(asc(users.id))
    .limit(1);
  if (!row) throw notFound("user");
  return row;
}

export interface CreateUserInput {
  name: string;
  email?: string;
  tags?: string[];
}

/** Inserts a user, without permission checks or audit: bootstrap's first user, and createUser's. */
export async function insertUser(db: Database, workspaceId: string, input: CreateUserInput): Promise<UserRow> {
  const now = Date.now();
  const [row] = await db
    .insert(users)
    .values({ id: newId("usr", now), workspaceId, name: input.name, email: input.email ?? null, tags: [...new Set(input.tags ?? [])], createdAt: now })
    .returning();
  return row!;
}

export async function createUser(db: Database, ctx: RootKeyContext, input: CreateUserInput): Promise<{ userId: string }> {
  requirePermission(ctx, CUSTODY.createUser);
  // On the audit trail as its activity (src/activities/), like every change.
  const row = await insertUser(db, ctx.workspaceId, input);
  return { userId: row.id };
}

export async function getUser(db: Database, ctx: RootKeyContext, userId: string): Promise<UserView> {
  requirePermission(ctx, CUSTODY.readUser);
  return toUserView(await findUser(db, ctx.workspaceId, userId));
}

/** One page in id order (creation order), ending at `limit` or MAX_PAGE_BYTES of JSON; `cursor` continues it. */
export async function listUsers(db: Database, ctx: RootKeyContext, input: { limit?: number; cursor?: string }): Promise<{ users: UserView[]; cursor?: string }> {
  requirePermission(ctx, CUSTODY.readUser);
  const limit = input.limit ?? MAX_LIST_LIMIT;
  const rows = await db
    .select()
    .from(users)
    .where(and(eq(users.workspaceId, ctx.workspaceId), isNull(users.deletedAt), input.cursor !== undefined ? gt(users.id, input.cursor) : undefined))
    .orderBy(asc(users.id))
    .limit(limit + 1);
  const page = cutByBytes(rows.slice(0, limit).map(toUserView), jsonByteLength);
  return { users: page, ...(rows.length > page.length && { cursor: page.at(-1)!.userId }) };
}

/**
 * Soft-deletes a user. Refused (409) while it holds a live root key: revoke those first, so no
 * key is left belonging to nobody. The user's row is locked first, and createRootKey holds a
 * share lock on it while giving it a key, so the check and a new key cannot cross.
 */
export async function deleteUser(db: Database, ctx: RootKeyContext, userId: string): Promise<void> {
  requirePermission(ctx, CUSTODY.deleteUser);
  await db.transaction(async (tx) => {
    const row = await findUser(tx, ctx.workspaceId, userId, "update");
    const [held] = await tx
      .select({ id: rootKeys.id })
      .from(rootKeys)
      .where(and(eq(rootKeys.userId, row.id), isNull(rootKeys.deletedAt)))
      .limit(1);
    if (held) throw new KeyholdError("CONFLICT", "The user still holds live root keys; revoke them (rootKeys.deleteRootKey) before deleting the user.");
    // A quorum must stay reachable: a user counted in it is taken out of it first (workspaces.updateRootQuorum).
    if ((await rootQuorumOf(tx, ctx.workspaceId)).userIds.includes(row.id)) {
      throw new KeyholdError("CONFLICT", "The user is in the root quorum; take them out of it (workspaces.updateRootQuorum) before deleting the user.");
    }
    await tx.update(users).set({ deletedAt: Date.now() }).where(and(eq(users.id, row.id), eq(users.workspaceId, ctx.workspaceId)));
  });
}

