import { and, eq, gt, isNull } from "drizzle-orm";
import { sha256Hex } from "../crypto/hash.ts";
import type { Database } from "../db/client.ts";
import { rootKeys } from "../db/schema.ts";
import { KeyholdError, notFound } from "../errors.ts";
import { newId } from "../ids.ts";
import { findUser, firstUser } from "../users/users.ts";
import { ROOT_KEY_PREFIX, generateKey, keyStart } from "../keys/key-format.ts";
import { jsonByteLength } from "../keys/storable.ts";
import { MAX_LIST_LIMIT, cutByBytes } from "../paging.ts";
import { grants } from "./permissions.ts";
import { type RootKeyContext, requirePermission } from "./root-key-auth.ts";
import { CREATE_ROOT_KEY, DELETE_ROOT_KEY, READ_ROOT_KEY } from "./permissions.ts";

export interface NewRootKey {
  keyId: string;
  key: string;
}

export interface InsertRootKeyInput {
  workspaceId: string;
  /** Whom it belongs to: a live user of the workspace (NOT_FOUND otherwise); left out, the workspace's first user. */
  userId?: string;
  name?: string;
  permissions: string[];
  expires?: number;
  createdBy?: string;
}

/**
 * Inserts a root key; the plaintext is returned once and only its hash is kept. The user's row
 * is share-locked meanwhile, so a concurrent deleteUser cannot leave the key with nobody.
 */
export async function insertRootKey(db: Database, input: InsertRootKeyInput): Promise<NewRootKey & { userId: string }> {
  return db.transaction(async (tx) => {
    const user = input.userId !== undefined ? await findUser(tx, input.workspaceId, input.userId, "share") : await firstUser(tx, input.workspaceId);
    const key = generateKey({ prefix: ROOT_KEY_PREFIX, byteLength: 32 });
    const keyId = newId("rk");
    await tx.insert(rootKeys).values({
      id: keyId,
      workspaceId: input.workspaceId,
      userId: user.id,
      name: input.name ?? null,
      hash: sha256Hex(key),
      start: keyStart(key),
      permissions: [...new Set(input.permissions)],
      createdBy: input.createdBy ?? null,
      createdAt: Date.now(),
      expires: input.expires ?? null,
    });
    return { keyId, key, userId: user.id };
  });
}

export async function createRootKey(
  db: Database,
  ctx: RootKeyContext,
  input: { name?: string; permissions: string[]; expires?: number; userId?: string },
): Promise<NewRootKey> {
  requirePermission(ctx, CREATE_ROOT_KEY);
  // No escalation: every permission granted must be covered by one the caller holds.
  const escalation = input.permissions.find((wanted) => !ctx.permissions.some((held) => grants(held, wanted)));
  if (escalation) {
    throw new KeyholdError("FORBIDDEN", `A root key can only grant permissions it holds itself; it does not hold ${escalation}.`);
  }
  if (input.expires !== undefined && input.expires <= Date.now()) {
    throw new KeyholdError("BAD_REQUEST", "expires must be in the future.");
  }
  // Nor in time: a root key can't make one that outlives it.
  const expires = ctx.expires === null ? input.expires : Math.min(input.expires ?? ctx.expires, ctx.expires);
  // Another workspace's user is as absent as one never made (findUser is scoped): 404.
  const { keyId, key } = await insertRootKey(db, { ...input, userId: input.userId ?? ctx.userId, expires, workspaceId: ctx.workspaceId, createdBy: ctx.rootKeyId });
  return { keyId, key };
}

export async function deleteRootKey(db: Database, ctx: RootKeyContext, keyId: string): Promise<void> {
  requirePermission(ctx, DELETE_ROOT_KEY);
  const [target] = await db
    .select({ permissions: rootKeys.permissions })
    .from(rootKeys)
    .where(and(eq(rootKeys.id, keyId), eq(rootKeys.workspaceId, ctx.workspaceId), isNull(rootKeys.deletedAt)))
    .limit(1);
  if (!target) throw notFound("root key");
  // Revoking is as strong as granting: only a key holding everything the target holds may revoke it.
  const stronger = target.permissions.find((p) => !ctx.permissions.some((held) => grants(held, p)));
  if (stronger) {
    throw new KeyholdError("FORBIDDEN", `A root key can only revoke root keys whose permissions it holds itself; it does not hold ${stronger}.`);
  }
  const deleted = await db
    .update(rootKeys)
    .set({ deletedAt: Date.now() })
    .where(and(eq(rootKeys.id, keyId), eq(rootKeys.workspaceId, ctx.workspaceId), isNull(rootKeys.deletedAt)))
    .returning({ id: rootKeys.id });
  if (deleted.length === 0) throw notFound("root key");
}

export interface RootKeyView {
  id: string;
  userId: string;
  name?: string;
  start: string;
  permissions: string[];
  createdAt: number;
  expires?: number;
}

/**
 * A page of the workspace's live root keys in id order: at most `limit` (100) and at most
 * MAX_PAGE_BYTES of JSON, with a cursor to the rest. A root key may hold 1 000 long
 * permission names, so a workspace's keys all at once could be a body of hundreds of MB.
 */
export async function listRootKeys(
  db: Database,
  ctx: RootKeyContext,
  input: { limit?: number; cursor?: string } = {},
): Promise<{ rootKeys: RootKeyView[]; cursor?: string }> {
  requirePermission(ctx, READ_ROOT_KEY);
  const limit = input.limit ?? MAX_LIST_LIMIT;
  const rows = await db
    .select()
    .from(rootKeys)
    .where(and(eq(rootKeys.workspaceId, ctx.workspaceId), isNull(rootKeys.deletedAt), input.cursor !== undefined ? gt(rootKeys.id, input.cursor) : undefined))
    .orderBy(rootKeys.id)
    .limit(limit + 1);
  const views = rows.slice(0, limit).map(toRootKeyView);
  const page = cutByBytes(views, jsonByteLength);
  return { rootKeys: page, ...(rows.length > page.length && { cursor: page.at(-1)!.id }) };
}

function toRootKeyView(r: typeof rootKeys.$inferSelect): RootKeyView {
  return {
    id: r.id,
    userId: r.userId,
    ...(r.name !== null && { name: r.name }),
    start: r.start,
    permissions: r.permissions,
    createdAt: r.createdAt,
    ...(r.expires !== null && { expires: r.expires }),
  };
}
