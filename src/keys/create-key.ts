import { eq } from "drizzle-orm";
import { type ApiRow, findApi } from "../apis/apis.ts";
import { apiPermission, hasPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import { sha256Hex } from "../crypto/hash.ts";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { insertJsonRows } from "../db/json-rows.ts";
import { Batcher } from "../batching/batcher.ts";
import { preparedPerHandle, preparedSql } from "../db/prepared.ts";
import { apis, keys } from "../db/schema.ts";
import { KeyholdError, notFound } from "../errors.ts";
import { newId } from "../ids.ts";
import { ensureIdentities } from "../identities/identities.ts";
import type { VaultClient } from "../vault-client/vault-client.ts";
import { ROOT_KEY_PREFIX, generateKey, keyStart } from "./key-format.ts";
import { type KeyColumns, type KeySettings, settingsToColumns, writeKeyNames } from "./key-settings.ts";

export interface CreateKeyInput extends KeySettings {
  apiId: string;
  prefix?: string;
  byteLength?: number;
  recoverable?: boolean;
}

const keyRows = insertJsonRows(keys, "rows");
type KeyInsert = typeof keys.$inferInsert;
/** What the insert checks of each row's API beyond its being live in the row's workspace. */
const apiCheck = { plain: sql``, recoverable: sql` and recovery_enabled for share` };

/**
 * Keys without names are written by group commit (src/batching/batcher.ts): the keys of concurrent
 * createKey calls go into one prepared statement, which also checks each key's API: live and
 * in the key's workspace, and for a recoverable key with recovery still on, under a share lock
 * on the API row, so an updateApi switching recovery off (and purging) waits for this key or
 * makes it fail. A key whose API fails the check is not written (no row returned for it).
 * BEGIN, a locking SELECT and COMMIT were four more round trips; one commit per key, another
 * third of a createKey's throughput.
 */
const insertKeysChecked = (kind: keyof typeof apiCheck) =>
  preparedSql<{ id: string }>(
    kind === "plain" ? "keyhold_insert_keys" : "keyhold_insert_recoverable_keys",
    sql`${keyRows.statement} where exists (select 1 from ${apis} where ${apis.id} = incoming.api_id and ${apis.workspaceId} = incoming.workspace_id and ${apis.deletedAt} is null${apiCheck[kind]}) returning ${keys.id}`,
  );
const keyCommits = (kind: keyof typeof apiCheck) => {
  const statement = insertKeysChecked(kind);
  return preparedPerHandle(
    (db) =>
      new Batcher<KeyInsert, boolean>(async (batch) => {
        const written = new Set((await statement(db).execute({ rows: keyRows.rows(batch) })).map((r) => r.id));
        return batch.map((row) => written.has(row.id!));
      }, { retryEachOnFailure: true }),
  );
};
const plainKeys = keyCommits("plain");
const recoverableKeys = keyCommits("recoverable");

/**
 * `alsoInTransaction` runs in the key's own transaction, after its row is written (the portal
 * counts the identity's keys there, under a lock, to bound them); a throw there writes nothing.
 */
export async function createKey(
  db: Database,
  vault: VaultClient | null,
  ctx: RootKeyContext,
  input: CreateKeyInput,
  alsoInTransaction?: (tx: Database) => Promise<void>,
): Promise<{ keyId: string; key: string }> {
  checkNewKeySettings(input);
  const spec = {
    columns: settingsToColumns(input, Date.now()),
    names: input,
    owner: input.ownerId ?? undefined,
    prefix: input.prefix,
    byteLength: input.byteLength,
    recoverable: input.recoverable === true,
  };
  // The common case, a plain key from a root key allowed to make keys in the API it names, need
  // not read the API first: its insert checks it (one round trip of three). Every other
  // case reads it, so that a missing API and a missing permission answer as they always have.
  const fast = !spec.recoverable && isOneStatement(spec) && !alsoInTransaction && hasPermission(ctx.permissions, apiPermission(input.apiId, "create_key"));
  const api = fast ? { id: input.apiId } : await findIssuableApi(db, ctx, input.apiId, spec.recoverable);
  return issueKey(db, vault, ctx, { ...spec, api }, alsoInTransaction);
}

/**
 * The API to make a key in, and what that takes: the API live in the workspace (404), then
 * `create_key`, and for a recoverable key `encrypt_key` and recovery switched on (412
 * otherwise). createKey, rerollKey and migrateKeys all check it.
 */
export async function findIssuableApi(db: Database, ctx: RootKeyContext, apiId: string, recoverable: boolean): Promise<ApiRow> {
  const api = await findApi(db, ctx.workspaceId, apiId);
  requirePermission(ctx, apiPermission(api.id, "create_key"));
  if (recoverable) {
    requirePermission(ctx, apiPermission(api.id, "encrypt_key"));
    if (!api.recoveryEnabled) throw recoveryOff();
  }
  return api;
}

/** The rules on a new key's settings beyond their single fields (settingsToColumns checks the rest). */
export function checkNewKeySettings(input: { prefix?: string; refill?: KeySettings["refill"]; remaining?: number | null }): void {
  if (input.prefix?.startsWith(ROOT_KEY_PREFIX)) {
    throw new KeyholdError("BAD_REQUEST", `The prefix ${ROOT_KEY_PREFIX} is reserved for root keys.`);
  }
  if (input.refill && input.remaining == null) {
    throw new KeyholdError("BAD_REQUEST", "refill needs remaining: set the starting credits too.");
  }
}

/** A key to issue: its settings as columns (checked by the caller), names, and how its secret is made. */
export interface NewKey {
  /** Checked by the caller (findIssuableApi), or by the insert itself (isOneStatement). */
  api: Pick<ApiRow, "id">;
  columns: KeyColumns;
  names: { permissions?: string[]; roles?: string[] };
  /** The owner's externalId: the key links to that identity, made if there is none yet. */
  owner?: string;
  prefix?: string;
  byteLength?: number;
  recoverable: boolean;
}

/**
 * The one way a key with a Keyhold-made secret is stored (createKey, rerollKey): the secret
 * generated, encrypted by the vault when recoverable, then the row and its names written.
 * `alsoInTransaction` runs in the same transaction (rerollKey expires the old key there), so
 * either everything is written or nothing is.
 */
export async function issueKey(
  db: Database,
  vault: VaultClient | null,
  ctx: RootKeyContext,
  spec: NewKey,
  alsoInTransaction?: (tx: Database) => Promise<void>,
): Promise<{ keyId: string; key: string }> {
  const now = Date.now();
  const keyId = newId("key");
  const key = generateKey({ prefix: spec.prefix, byteLength: spec.byteLength });

  // The vault is called before the transaction: if it fails, nothing has been written.
  let encrypted: { encrypted: string; keyId: string } | null = null;
  if (spec.recoverable) {
    if (!vault) throw new KeyholdError("SERVICE_UNAVAILABLE", "The vault is not configured, so keys cannot be stored recoverably.");
    encrypted = await vault.encrypt({ keyring: ctx.workspaceId, data: key, context: keyId });
  }

  const row = {
    ...spec.columns,
    id: keyId,
    workspaceId: ctx.workspaceId,
    apiId: spec.api.id,
    hash: sha256Hex(key),
    start: keyStart(key),
    createdAt: now,
    encrypted: encrypted?.encrypted ?? null,
    encryptionKeyId: encrypted?.keyId ?? null,
  };
  if (isOneStatement(spec) && !alsoInTransaction) {
    // Every column is written (json-rows.ts): the table's defaults given here.
    const complete = { ...row, enabled: row.enabled ?? true, ratelimits: row.ratelimits ?? [] };
    const written = await (encrypted ? recoverableKeys : plainKeys)(db).submit(complete);
    // Not written: the API is gone (or in another workspace), or recovery was switched off meanwhile.
    if (!written) throw encrypted ? recoveryOff() : notFound("api");
  } else {
    // Names, an owner and a reroll need the transaction.
    await db.transaction(async (tx) => {
      // Checked again under a lock on the API row: recovery switched off (and purged) while the
      // vault was encrypting must not leave this one ciphertext behind.
      if (encrypted && !(await recoveryStillOn(tx, spec.api.id))) throw recoveryOff();
      const identityId = spec.owner === undefined ? undefined : (await ensureIdentities(tx, ctx.workspaceId, [spec.owner])).get(spec.owner);
      await tx.insert(keys).values({ ...row, ...(identityId !== undefined && { identityId }) });
      await writeKeyNames(tx, ctx, keyId, spec.names, false);
      await alsoInTransaction?.(tx);
    });
  }
  return { keyId, key };
}

/** A key without names or owner: one statement writes all of it. */
function isOneStatement(spec: Pick<NewKey, "names" | "owner">): boolean {
  return !spec.names.permissions?.length && !spec.names.roles?.length && spec.owner === undefined;
}

function recoveryOff(): KeyholdError {
  return new KeyholdError("PRECONDITION_FAILED", "Recovery is not enabled for this API; enable it with apis.updateApi first.");
}

/** Holds the API row until commit, so an updateApi switching recovery off waits for this key (and purges it). */
async function recoveryStillOn(tx: Database, apiId: string): Promise<boolean> {
  const [row] = await tx.select({ on: apis.recoveryEnabled }).from(apis).where(eq(apis.id, apiId)).for("share");
  return row?.on === true;
}
