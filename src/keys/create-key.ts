import { eq } from "drizzle-orm";
import { type ApiRow, findApi } from "../apis/apis.ts";
import { apiPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import { sha256Hex } from "../crypto/hash.ts";
import { getTableColumns, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { preparedPerHandle } from "../db/prepared.ts";
import { apis, keys } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
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

/** Every column, so one prepared insert serves every key: NULL where unset, and `enabled` as the table's default. */
const UNSET = { ...Object.fromEntries(Object.keys(getTableColumns(keys)).map((name) => [name, null])), enabled: true, ratelimits: [] };

/** Prepared: every createKey without names is this one statement. */
const insertKey = preparedPerHandle((db) => {
  const placeholders = Object.fromEntries(Object.keys(getTableColumns(keys)).map((name) => [name, sql.placeholder(name)]));
  return db.insert(keys).values(placeholders as unknown as typeof keys.$inferInsert).prepare("keyhold_insert_key");
});

export async function createKey(
  db: Database,
  vault: VaultClient | null,
  ctx: RootKeyContext,
  input: CreateKeyInput,
): Promise<{ keyId: string; key: string }> {
  const api = await findApi(db, ctx.workspaceId, input.apiId);
  requireIssueRights(ctx, api, input.recoverable === true);
  checkNewKeySettings(input);
  return issueKey(db, vault, ctx, {
    api,
    columns: settingsToColumns(input, Date.now()),
    names: input,
    owner: input.ownerId ?? undefined,
    prefix: input.prefix,
    byteLength: input.byteLength,
    recoverable: input.recoverable === true,
  });
}

/**
 * What making a key in `api` takes: `create_key`, and for a recoverable key `encrypt_key` and
 * recovery switched on (412 otherwise). createKey, rerollKey and migrateKeys all check it.
 */
export function requireIssueRights(ctx: RootKeyContext, api: ApiRow, recoverable: boolean): void {
  requirePermission(ctx, apiPermission(api.id, "create_key"));
  if (recoverable) {
    requirePermission(ctx, apiPermission(api.id, "encrypt_key"));
    if (!api.recoveryEnabled) throw recoveryOff();
  }
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
  api: ApiRow;
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
  // One insert is atomic on its own: a plain key is one prepared statement (BEGIN and COMMIT
  // are two more round trips). Names, recoverable keys and a reroll need the transaction.
  if (!encrypted && !spec.names.permissions?.length && !spec.names.roles?.length && !alsoInTransaction && spec.owner === undefined) {
    await insertKey(db).execute({ ...UNSET, ...row });
  } else {
    await db.transaction(async (tx) => {
      // Checked again under a lock on the API row: recovery switched off (and purged) while the
      // vault was encrypting must not leave this one ciphertext behind.
      if (encrypted && !(await recoveryStillOn(tx, spec.api.id))) throw recoveryOff();
      const identityId = spec.owner === undefined ? undefined : (await ensureIdentities(tx, ctx.workspaceId, [spec.owner])).get(spec.owner);
      await tx.insert(keys).values({ ...row, ...(identityId !== undefined && { identityId }) });
      await writeKeyNames(tx, { id: keyId, workspaceId: ctx.workspaceId }, spec.names, false);
      await alsoInTransaction?.(tx);
    });
  }
  return { keyId, key };
}

function recoveryOff(): KeyholdError {
  return new KeyholdError("PRECONDITION_FAILED", "Recovery is not enabled for this API; enable it with apis.updateApi first.");
}

/** Holds the API row until commit, so an updateApi switching recovery off waits for this key (and purges it). */
async function recoveryStillOn(tx: Database, apiId: string): Promise<boolean> {
  const [row] = await tx.select({ on: apis.recoveryEnabled }).from(apis).where(eq(apis.id, apiId)).for("share");
  return row?.on === true;
}
