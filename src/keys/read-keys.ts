import { and, count, eq, getTableColumns, gt, isNull, sql } from "drizzle-orm";
import { findApi } from "../apis/apis.ts";
import { apiPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { preparedPerHandle } from "../db/prepared.ts";
import { MAX_LIST_LIMIT, cutByBytes } from "../paging.ts";
import { identities, keyPermissions, keyRoles, keys } from "../db/schema.ts";
import { KeyholdError, notFound } from "../errors.ts";
import type { VaultClient } from "../vault-client/vault-client.ts";
import { type KeyRow, type KeyView, loadKeyNames, toKeyView } from "./key-view.ts";
import { keyNameColumns } from "./key-name-columns.ts";
import { linkedIdentityColumns, liveIdentityOfKey } from "./key-identity.ts";
import { jsonByteLength } from "./storable.ts";

/** A live key of the caller's workspace, or NOT_FOUND (foreign and missing look the same). */
export async function findKey(db: Database, workspaceId: string, keyId: string): Promise<KeyRow> {
  const [row] = await findKeyById(db).execute({ keyId, workspaceId });
  if (!row) throw notFound("key");
  return row;
}

const byIdInWorkspace = and(eq(keys.id, sql.placeholder("keyId")), eq(keys.workspaceId, sql.placeholder("workspaceId")), isNull(keys.deletedAt));

/** Prepared: every admin call on a key starts here. */
const findKeyById = preparedPerHandle((db) =>
  db
    .select({ ...getTableColumns(keys), ...linkedIdentityColumns() })
    .from(keys)
    .leftJoin(identities, liveIdentityOfKey)
    .where(byIdInWorkspace)
    .limit(1)
    .prepare("keyhold_find_key"),
);

/** getKey's one read: the key with its permission and role names (sorted, as loadKeyNames gives them). */
const findKeyWithNames = preparedPerHandle((db) =>
  db
    .select({
      ...getTableColumns(keys),
      ...linkedIdentityColumns(),
      ...keyNameColumns(),
    })
    .from(keys)
    .leftJoin(identities, liveIdentityOfKey)
    .where(byIdInWorkspace)
    .limit(1)
    .prepare("keyhold_get_key"),
);

/** A live key of the caller's workspace with its permission and role names, or NOT_FOUND. */
export async function findKeyAndNames(db: Database, workspaceId: string, keyId: string): Promise<KeyRow & { permissions: string[]; roles: string[] }> {
  const [found] = await findKeyWithNames(db).execute({ keyId, workspaceId });
  if (!found) throw notFound("key");
  return found;
}

export async function getKey(
  db: Database,
  vault: VaultClient | null,
  ctx: RootKeyContext,
  input: { keyId: string; decrypt?: boolean },
): Promise<KeyView> {
  const { permissions, roles, ...row } = await findKeyAndNames(db, ctx.workspaceId, input.keyId);
  requirePermission(ctx, apiPermission(row.apiId, "read_key"));
  if (input.decrypt) requirePermission(ctx, apiPermission(row.apiId, "decrypt_key"));
  const [view] = await withPlaintexts(vault, ctx.workspaceId, [row], [toKeyView(row, { permissions, roles })], input.decrypt);
  return view!;
}

/** Bytes the key's names take in JSON, summed by the database: names are only loaded for the page. */
const namesBytes = (table: typeof keyPermissions | typeof keyRoles) =>
  sql`(select coalesce(sum(octet_length(${table.name}) + 3), 0) from ${table} where ${table.keyId} = ${keys.id} and ${table.workspaceId} = ${keys.workspaceId})`;

export interface ListKeysInput {
  apiId: string;
  limit?: number;
  cursor?: string;
  /** Only the keys of the live identity with this externalId. */
  ownerId?: string;
  decrypt?: boolean;
}

export async function listKeys(
  db: Database,
  vault: VaultClient | null,
  ctx: RootKeyContext,
  input: ListKeysInput,
): Promise<{ keys: KeyView[]; cursor?: string; total: number }> {
  const api = await findApi(db, ctx.workspaceId, input.apiId);
  requirePermission(ctx, apiPermission(api.id, "read_key"));
  if (input.decrypt) requirePermission(ctx, apiPermission(api.id, "decrypt_key"));
  const limit = input.limit ?? MAX_LIST_LIMIT;
  const scope = and(
    eq(keys.workspaceId, ctx.workspaceId),
    eq(keys.apiId, api.id),
    isNull(keys.deletedAt),
    input.ownerId !== undefined
      ? eq(
          keys.identityId,
          db
            .select({ id: identities.id })
            .from(identities)
            .where(and(eq(identities.workspaceId, ctx.workspaceId), eq(identities.externalId, input.ownerId), isNull(identities.deletedAt))),
        )
      : undefined,
  );
  const [rows, [totalRow]] = await Promise.all([
    db
      .select({ ...getTableColumns(keys), ...linkedIdentityColumns(), namesBytes: sql`${namesBytes(keyPermissions)} + ${namesBytes(keyRoles)}`.mapWith(Number) })
      .from(keys)
      .leftJoin(identities, liveIdentityOfKey)
      .where(and(scope, input.cursor !== undefined ? gt(keys.id, input.cursor) : undefined))
      .orderBy(keys.id)
      .limit(limit + 1),
    db.select({ total: count() }).from(keys).where(scope),
  ]);
  const page = cutByBytes(rows.slice(0, limit), (r) => jsonByteLength(toKeyView(r, { permissions: [], roles: [] })) + r.namesBytes);
  const names = await loadKeyNames(db, ctx.workspaceId, page.map((r) => r.id));
  const views = page.map((r) => toKeyView(r, names.get(r.id)!));
  return {
    keys: await withPlaintexts(vault, ctx.workspaceId, page, views, input.decrypt),
    ...(rows.length > page.length && { cursor: page.at(-1)!.id }),
    total: totalRow?.total ?? 0,
  };
}


/**
 * Adds `plaintext` to recoverable keys, in one vault call for the whole page. A key that
 * was never stored recoverably simply has none; a vault failure fails the request (503)
 * rather than silently dropping plaintexts.
 */
async function withPlaintexts(
  vault: VaultClient | null,
  workspaceId: string,
  rows: KeyRow[],
  views: KeyView[],
  decrypt: boolean | undefined,
): Promise<KeyView[]> {
  if (!decrypt) return views;
  const recoverable = rows.flatMap((row, i) => (row.encrypted !== null ? [{ i, encrypted: row.encrypted, context: row.id }] : []));
  if (recoverable.length === 0) return views;
  if (!vault) throw new KeyholdError("SERVICE_UNAVAILABLE", "The vault is not configured, so keys cannot be decrypted.");
  const plaintexts = await vault.decryptMany({ keyring: workspaceId, items: recoverable });
  const out = [...views];
  recoverable.forEach(({ i }, n) => {
    out[i] = { ...out[i]!, plaintext: plaintexts[n]! };
  });
  return out;
}

