import { followChanges } from "../cache/change-notices.ts";
import { RecordCache } from "../cache/record-cache.ts";
import type { DatabaseHandle } from "../db/client.ts";

/** What root-key auth needs about a live root key. Expiry is checked by the caller on every use. */
export interface CachedRootKey {
  id: string;
  workspaceId: string;
  userId: string;
  permissions: readonly string[];
  expires: number | null;
}

export interface RootKeyCacheOptions {
  /** Most root keys kept. */
  max: number;
  /** Most bytes kept (estimated): a root key may hold up to 1 000 permissions. */
  maxBytes: number;
  /** How long a root key is trusted without a change notice: the fallback bound. */
  ttlMs: number;
}

export const ROOT_KEY_CACHE_DEFAULTS: RootKeyCacheOptions = { max: 10_000, maxBytes: 16 * 1024 * 1024, ttlMs: 60_000 };

/**
 * Live root keys by hash, so an admin call (and, with the v2 API, a verify) authenticates
 * without a database read. Unknown or revoked root keys are never kept: bad root keys are
 * limited per client instead (root-key-failures.ts). Records are frozen: every request
 * shares one, and none may change it for the others.
 */
export class RootKeyCache extends RecordCache<CachedRootKey> {
  constructor(options: RootKeyCacheOptions) {
    super({ ...options, sizeOf: (entry, hash) => estimateBytes(entry!, hash) });
  }

  override find(hash: string, load: (hash: string) => Promise<CachedRootKey | null>, options?: { keepMiss?: boolean }): Promise<CachedRootKey | null> {
    return super.find(hash, async (h) => {
      const found = await load(h);
      return found && Object.freeze({ ...found, permissions: Object.freeze([...found.permissions]) });
    }, options);
  }

  forgetKey(rootKeyId: string): void {
    this.forgetId(rootKeyId);
  }
}

/** Strings at two bytes a character plus a rough per-object overhead: a bound, not an exact count. */
function estimateBytes(entry: CachedRootKey, hash: string): number {
  let bytes = 256 + 2 * (hash.length + entry.id.length + entry.workspaceId.length + entry.userId.length);
  for (const p of entry.permissions) bytes += 32 + 2 * p.length;
  return bytes;
}

export const ROOT_KEY_CHANGES_CHANNEL = "keyhold_root_keys";

/**
 * The triggers of drizzle/0002 announce the hash of every root key whose permissions,
 * expiry or deletion changed, and '*' when a workspace is deleted.
 */
export function subscribeToRootKeyChanges(handle: Pick<DatabaseHandle, "listen">, cache: RootKeyCache): Promise<() => Promise<void>> {
  return followChanges(handle, ROOT_KEY_CHANGES_CHANNEL, cache);
}
