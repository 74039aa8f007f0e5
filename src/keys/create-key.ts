import { eq } from "drizzle-orm";
import { findApi } from "../apis/apis.ts";
import { apiPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import { sha256Hex } from "../crypto/hash.ts";
import { getTableColumns, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { preparedPerHandle } from "../db/prepared.ts";
import { apis, keys } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { newId } from "../ids.ts";
import type { VaultClient } from "../vault-client/vault-client.ts";
import { ROOT_KEY_PREFIX, generateKey, keyStart } from "./key-format.ts";
import { type KeySettings, settingsToColumns, writeKeyNames } from "./key-settings.ts";

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
  requirePermission(ctx, apiPermission(api.id, "create_key"));
  if (input.recoverable) {
    requirePermission(ctx, apiPermission(api.id, "encrypt_key"));
    if (!api.recoveryEnabled) throw recoveryOff();
  }
  if (input.prefix?.startsWith(ROOT_KEY_PREFIX)) {
    throw new KeyholdError("BAD_REQUEST", `The prefix ${ROOT_KEY_PREFIX} is reserved for root keys.`);
  }
  if (input.refill && input.remaining == null) {
    throw new KeyholdError("BAD_REQUEST", "refill needs remaining: set the starting credits too.");
  }
  const now = Date.now();
  const columns = settingsToColumns(input, now);
  const keyId = newId("key");
  const key = generateKey({ prefix: input.prefix, byteLength: input.byteLength });

  // The vault is called before the transaction: if it fails, nothing has been written.
  let encrypted: { encrypted: string; keyId: string } | null = null;
  if (input.recoverable) {
    if (!vault) throw new KeyholdError("SERVICE_UNAVAILABLE", "The vault is not configured, so keys cannot be stored recoverably.");
    encrypted = await vault.encrypt({ keyring: ctx.workspaceId, data: key, context: keyId });
  }

  const row = {
    ...columns,
    id: keyId,
    workspaceId: ctx.workspaceId,
    apiId: api.id,
    hash: sha256Hex(key),
    start: keyStart(key),
    createdAt: now,
    encrypted: encrypted?.encrypted ?? null,
    encryptionKeyId: encrypted?.keyId ?? null,
  };
  // One insert is atomic on its own: a plain key is one prepared statement (BEGIN and COMMIT
  // are two more round trips). Names and recoverable keys need the transaction.
  if (!encrypted && !input.permissions?.length && !input.roles?.length) await insertKey(db).execute({ ...UNSET, ...row });
  else {
    await db.transaction(async (tx) => {
      // Checked again under a lock on the API row: recovery switched off (and purged) while the
      // vault was encrypting must not leave this one ciphertext behind.
      if (encrypted && !(await recoveryStillOn(tx, api.id))) throw recoveryOff();
      await tx.insert(keys).values(row);
      await writeKeyNames(tx, { id: keyId, workspaceId: ctx.workspaceId }, input, false);
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
