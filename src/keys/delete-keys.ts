import { type SQL, and, eq, isNull } from "drizzle-orm";
import { findApi } from "../apis/apis.ts";
import { apiPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { keys } from "../db/schema.ts";
import { notFound } from "../errors.ts";
import { findKey } from "./read-keys.ts";
import { deleteWindows } from "../ratelimits/windows.ts";

/** Soft delete by default (the key answers NOT_FOUND at once); `permanent` removes the row. */
export async function deleteKey(db: Database, ctx: RootKeyContext, input: { keyId: string; permanent?: boolean }): Promise<void> {
  const row = await findKey(db, ctx.workspaceId, input.keyId);
  requirePermission(ctx, apiPermission(row.apiId, "delete_key"));
  const removed = await removeKeys(db, eq(keys.id, row.id), ctx.workspaceId, input.permanent);
  if (removed === 0) throw notFound("key");
}

export async function deleteKeys(
  db: Database,
  ctx: RootKeyContext,
  input: { apiId: string; permanent?: boolean },
): Promise<{ deletedKeys: number }> {
  const api = await findApi(db, ctx.workspaceId, input.apiId);
  requirePermission(ctx, apiPermission(api.id, "delete_key"));
  return { deletedKeys: await removeKeys(db, eq(keys.apiId, api.id), ctx.workspaceId, input.permanent) };
}

async function removeKeys(db: Database, which: SQL, workspaceId: string, permanent = false): Promise<number> {
  const where = and(which, eq(keys.workspaceId, workspaceId), isNull(keys.deletedAt));
  if (!permanent) return (await db.update(keys).set({ deletedAt: Date.now() }).where(where).returning({ id: keys.id })).length;
  // Windows have no foreign key (their subjects live in several tables): a key gone for good takes its own along.
  return db.transaction(async (tx) => {
    const removed = await tx.delete(keys).where(where).returning({ id: keys.id });
    for (const { id } of removed) await deleteWindows(tx, id);
    return removed.length;
  });
}
