import { and, count, eq, isNotNull, isNull, sql } from "drizzle-orm";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import { apiPermission } from "../auth/permissions.ts";
import type { Database } from "../db/client.ts";
import { preparedPerHandle } from "../db/prepared.ts";
import { apis, keys } from "../db/schema.ts";
import { KeyholdError, notFound } from "../errors.ts";
import { newId } from "../ids.ts";

export type ApiRow = typeof apis.$inferSelect;

export interface ApiView {
  id: string;
  workspaceId: string;
  name: string;
  recovery: { enabled: boolean };
}

/** An API of the caller's workspace, or NOT_FOUND: a foreign API looks exactly like a missing one. */
export async function findApi(db: Database, workspaceId: string, apiId: string): Promise<ApiRow> {
  const [row] = await findApiById(db).execute({ apiId, workspaceId });
  if (!row) throw notFound("api");
  return row;
}

/** Prepared: every admin call on an API starts here. */
const findApiById = preparedPerHandle((db) =>
  db
    .select()
    .from(apis)
    .where(and(eq(apis.id, sql.placeholder("apiId")), eq(apis.workspaceId, sql.placeholder("workspaceId")), isNull(apis.deletedAt)))
    .limit(1)
    .prepare("keyhold_find_api"),
);

export async function createApi(db: Database, ctx: RootKeyContext, name: string): Promise<{ apiId: string }> {
  requirePermission(ctx, "api.*.create_api");
  const apiId = newId("api");
  await db.insert(apis).values({ id: apiId, workspaceId: ctx.workspaceId, name, createdAt: Date.now() });
  return { apiId };
}

export async function getApi(db: Database, ctx: RootKeyContext, apiId: string): Promise<ApiView> {
  const api = await findApi(db, ctx.workspaceId, apiId);
  requirePermission(ctx, apiPermission(api.id, "read_api"));
  return toApiView(api);
}

export interface ApiChanges {
  name?: string;
  /** `purge` (only with `enabled: false`) also deletes the stored ciphertexts of every key of the API. */
  recovery?: { enabled: boolean; purge?: boolean };
}

/**
 * Renames an API or switches recovery. Switching it off stops new recoverable keys; with
 * `purge` the ciphertexts already stored go too, in the same transaction as the switch, so
 * no key of the API can be decrypted afterwards (verifying needs only the hash). Purging
 * needs `encrypt_key` beside `update_api`: it is a write to the recoverable store, like
 * creating a recoverable key, and it must not need `decrypt_key`, so that whoever cleans
 * the store up does not need a root key able to read everything in it.
 */
export async function updateApi(db: Database, ctx: RootKeyContext, apiId: string, changes: ApiChanges): Promise<{ purged?: number }> {
  const purge = changes.recovery?.purge === true;
  if (purge && changes.recovery?.enabled) {
    throw new KeyholdError("BAD_REQUEST", "recovery.purge deletes the stored ciphertexts, so it needs recovery.enabled false.");
  }
  const api = await findApi(db, ctx.workspaceId, apiId);
  requirePermission(ctx, apiPermission(api.id, "update_api"));
  if (purge) requirePermission(ctx, apiPermission(api.id, "encrypt_key"));
  return db.transaction(async (tx) => {
    // The API row first: createKey locks it before storing a ciphertext, so none can slip in behind the purge.
    await tx
      .update(apis)
      .set({
        ...(changes.name !== undefined && { name: changes.name }),
        ...(changes.recovery !== undefined && { recoveryEnabled: changes.recovery.enabled }),
      })
      .where(and(eq(apis.id, api.id), eq(apis.workspaceId, ctx.workspaceId)));
    if (!purge) return {};
    // Deleted keys too: a ciphertext left on a soft-deleted row could still be opened by whoever holds the database and the vault.
    const purged = tx.$with("purged").as(
      tx
        .update(keys)
        .set({ encrypted: null, encryptionKeyId: null })
        .where(and(eq(keys.apiId, api.id), eq(keys.workspaceId, ctx.workspaceId), isNotNull(keys.encrypted)))
        .returning({ id: keys.id }),
    );
    const [row] = await tx.with(purged).select({ n: count() }).from(purged);
    return { purged: row?.n ?? 0 };
  });
}

/** Soft-deletes the API and, in the same transaction, every key of it. */
export async function deleteApi(db: Database, ctx: RootKeyContext, apiId: string): Promise<void> {
  const api = await findApi(db, ctx.workspaceId, apiId);
  requirePermission(ctx, apiPermission(api.id, "delete_api"));
  const now = Date.now();
  await db.transaction(async (tx) => {
    await tx.update(apis).set({ deletedAt: now }).where(and(eq(apis.id, api.id), eq(apis.workspaceId, ctx.workspaceId)));
    await tx
      .update(keys)
      .set({ deletedAt: now })
      .where(and(eq(keys.apiId, api.id), eq(keys.workspaceId, ctx.workspaceId), isNull(keys.deletedAt)));
  });
}

export function toApiView(api: ApiRow): ApiView {
  return { id: api.id, workspaceId: api.workspaceId, name: api.name, recovery: { enabled: api.recoveryEnabled } };
}
