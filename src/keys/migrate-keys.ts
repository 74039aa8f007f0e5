import { bytesToHex } from "@noble/hashes/utils.js";
import { base64 } from "@scure/base";
import type { ApiRow } from "../apis/apis.ts";
import type { RootKeyContext } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { importedKeyPrefixes, keys } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { newId } from "../ids.ts";
import { ensureIdentities } from "../identities/identities.ts";
import { checkNewKeySettings, findIssuableApi } from "./create-key.ts";
import { type KeyColumns, type KeySettings, insertKeyNames, settingsToColumns } from "./key-settings.ts";

/**
 * keys.migrateKeys (v2) and migrations.createKeys (v1): keys issued elsewhere, imported by
 * their hash so that their holders keep them. Keyhold looks keys up by `sha256Hex(key)`, so a
 * hash is normalised to that on import; `migrationId` names how the exporter encoded it.
 * Unkey configures migrations per customer; Keyhold ships the two that need no configuration.
 */
export const MIGRATIONS = {
  /** Unkey's own: standard base64 (padded) of SHA-256 of the key. */
  sha256_base64: (hash: string) => (/^[A-Za-z0-9+/]{43}=$/.test(hash) ? bytesToHex(base64.decode(hash)) : null),
  /** SHA-256 of the key as 64 hex digits, either case. */
  sha256_hex: (hash: string) => (/^[0-9a-fA-F]{64}$/.test(hash) ? hash.toLowerCase() : null),
} satisfies Record<string, (hash: string) => string | null>;

export type MigrationId = keyof typeof MIGRATIONS;

/** Most keys one request imports (Unkey's chunk size); they are written in one transaction. */
export const MAX_MIGRATE_KEYS = 1000;

export function isMigrationId(id: string): id is MigrationId {
  return Object.hasOwn(MIGRATIONS, id);
}

/** Why `hash` is not a hash of the migration's kind, or null; null too for an unknown migration (that is a 404, reported once). */
export function hashProblem(migrationId: string, hash: string): string | null {
  if (!isMigrationId(migrationId) || MIGRATIONS[migrationId](hash) !== null) return null;
  return migrationId === "sha256_base64"
    ? "must be standard base64 of a SHA-256 digest (44 characters, decoding to 32 bytes)"
    : "must be a SHA-256 digest as 64 hexadecimal digits";
}

export interface ImportedKey extends KeySettings {
  apiId: string;
  /** As the exporter sent it, in the migration's encoding. */
  hash: string;
  /** v1: the keys' prefix (without the `_`), so verify knows where such keys may live. */
  prefix?: string;
  /** v1: the prefix and first characters of the key, shown by getKey; '' when not known (as Unkey stores it). */
  start?: string;
}

export interface MigrateKeysInput {
  migrationId: string;
  keys: ImportedKey[];
  /** A hash Keyhold already holds (or sent twice): v2 reports it in `failed`, v1 refuses the request (409) as Unkey's v1 did. */
  onDuplicate: "report" | "refuse";
}

export interface MigrateKeysResult {
  /** In request order, with each hash as it was sent. */
  migrated: { hash: string; keyId: string }[];
  failed: string[];
}

/** Told of every workspace prefix an import adds, once it is committed (this instance's registry). */
export interface ImportRecorder {
  add(workspaceId: string, prefix: string): void;
}

/** Keys per INSERT: about 25 parameters each, well inside PostgreSQL's 65,535. */
const KEYS_PER_INSERT = 500;

/**
 * Imports the keys in one transaction: all of them, less the duplicates (reported), or none.
 * A duplicate is a hash already stored in any workspace, or sent twice; `ON CONFLICT DO NOTHING`
 * makes that exact even against a concurrent import of the same hash.
 */
export async function migrateKeys(db: Database, ctx: RootKeyContext, input: MigrateKeysInput, recorder?: ImportRecorder | null): Promise<MigrateKeysResult> {
  if (input.keys.length === 0 || input.keys.length > MAX_MIGRATE_KEYS) {
    throw new KeyholdError("BAD_REQUEST", `keys: send from 1 to ${MAX_MIGRATE_KEYS} keys per request.`);
  }
  const apis = new Map<string, ApiRow>();
  for (const apiId of new Set(input.keys.map((k) => k.apiId))) {
    apis.set(apiId, await findIssuableApi(db, ctx, apiId, false));
  }
  const normalize = isMigrationId(input.migrationId) ? MIGRATIONS[input.migrationId] : null;
  if (!normalize) throw new KeyholdError("NOT_FOUND", `The migration ${input.migrationId} does not exist; Keyhold's are ${Object.keys(MIGRATIONS).join(" and ")}.`);

  const now = Date.now();
  const rows = input.keys.map((key, i) => toRow(key, i, normalize, ctx.workspaceId, apis.get(key.apiId)!, input.migrationId, now));
  const seen = new Set<string>();
  const duplicates = new Set<number>();
  rows.forEach((row, i) => (seen.has(row.hash) ? duplicates.add(i) : seen.add(row.hash)));
  if (input.onDuplicate === "refuse" && duplicates.size > 0) throw duplicate([...duplicates][0]!);

  const { inserted, prefixes } = await db.transaction(async (tx) => {
    // In hash order: two imports sharing hashes then wait on each other in one order, never deadlock.
    // Owners first (externalId order, one statement): each key links to its owner's identity, made where there is none.
    const owners = await ensureIdentities(tx, ctx.workspaceId, input.keys.flatMap((k, i) => (k.ownerId && !duplicates.has(i) ? [k.ownerId] : [])));
    const linked = rows.map((row, i) => {
      const owner = input.keys[i]!.ownerId;
      return owner ? { ...row, identityId: owners.get(owner)! } : row;
    });
    const fresh = linked.filter((_, i) => !duplicates.has(i)).sort((x, y) => (x.hash < y.hash ? -1 : 1));
    const stored = new Set<string>();
    for (let i = 0; i < fresh.length; i += KEYS_PER_INSERT) {
      const chunk = fresh.slice(i, i + KEYS_PER_INSERT);
      const written = await tx.insert(keys).values(chunk).onConflictDoNothing({ target: keys.hash }).returning({ id: keys.id });
      for (const { id } of written) stored.add(id);
      if (input.onDuplicate === "refuse" && written.length < chunk.length) {
        throw duplicate(rows.indexOf(chunk.find((row) => !stored.has(row.id))!)); // rolls back the keys already written
      }
    }
    if (stored.size === 0) return { inserted: stored, prefixes: [] };
    const named = input.keys.flatMap((key, i) => (stored.has(rows[i]!.id) ? [{ keyId: rows[i]!.id, permissions: key.permissions, roles: key.roles }] : []));
    await insertKeyNames(tx, ctx, named);
    // Where verify must now look for keys without Keyhold's checksum (imported-prefixes.ts).
    const used = [...new Set(input.keys.filter((_, i) => stored.has(rows[i]!.id)).map((k) => k.prefix ?? ""))];
    await tx.insert(importedKeyPrefixes).values(used.map((prefix) => ({ workspaceId: ctx.workspaceId, prefix }))).onConflictDoNothing();
    return { inserted: stored, prefixes: used };
  });
  // This instance at once; the others hear it from the database (keyhold_imports).
  for (const prefix of prefixes) recorder?.add(ctx.workspaceId, prefix);

  const result: MigrateKeysResult = { migrated: [], failed: [] };
  input.keys.forEach((key, i) => (inserted.has(rows[i]!.id) ? result.migrated.push({ hash: key.hash, keyId: rows[i]!.id }) : result.failed.push(key.hash)));
  return result;
}

function toRow(key: ImportedKey, i: number, normalize: (hash: string) => string | null, workspaceId: string, api: ApiRow, migrationId: string, now: number) {
  const hash = normalize(key.hash);
  if (hash === null) throw new KeyholdError("BAD_REQUEST", `keys.${i}.hash: ${hashProblem(migrationId, key.hash)}.`);
  let columns: KeyColumns;
  try {
    checkNewKeySettings(key);
    columns = settingsToColumns(key, now);
  } catch (error) {
    // The same rules as createKey, told for the key they concern.
    if (error instanceof KeyholdError) throw new KeyholdError(error.code, `keys.${i}: ${error.message}`);
    throw error;
  }
  return {
    ...columns,
    id: newId("key"),
    workspaceId,
    apiId: api.id,
    hash,
    start: key.start ?? "",
    migrationId,
    createdAt: now,
  };
}

function duplicate(i: number): KeyholdError {
  return new KeyholdError("CONFLICT", `keys.${i}: a key with this hash already exists (or is sent twice); nothing was imported.`);
}
