import { LRUCache } from "lru-cache";

/** What root-key auth needs about a live root key. Expiry is checked by the caller on every use. */
export interface CachedRootKey {
  id: string;
  workspaceId: string;
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
 * without a database read. Dropped by hash when the database announces a change (every
 * instance, drizzle/0002), by id when this instance made the change (at once), all of them
 * on every reconnection of the listener, and by age in any case. Unknown or revoked root
 * keys are never kept: bad root keys are limited per client instead (root-key-failures.ts).
 */
export class RootKeyCache {
  private readonly entries: LRUCache<string, CachedRootKey>;
  private readonly hashesById = new Map<string, string>();
  /** Bumped by every invalidation: a load that raced one is not cached. */
  private epoch = 0;
  hits = 0;
  misses = 0;

  constructor(options: RootKeyCacheOptions) {
    this.entries = new LRUCache<string, CachedRootKey>({
      max: options.max,
      maxSize: options.maxBytes,
      sizeCalculation: estimateBytes,
      ttl: options.ttlMs,
      dispose: (entry, hash) => {
        if (this.hashesById.get(entry.id) === hash) this.hashesById.delete(entry.id);
      },
    });
  }

  /** The live root key for `hash`, reading through `load` on a miss. */
  async find(hash: string, load: (hash: string) => Promise<CachedRootKey | null>): Promise<CachedRootKey | null> {
    const cached = this.entries.get(hash);
    if (cached) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const epoch = this.epoch;
    const found = await load(hash);
    if (!found || epoch !== this.epoch) return found; // changed while we read: don't keep what may be stale
    // Frozen: every request shares this record, and none may change it for the others.
    const entry = Object.freeze({ ...found, permissions: Object.freeze([...found.permissions]) });
    this.entries.set(hash, entry);
    this.hashesById.set(entry.id, hash);
    return entry;
  }

  forgetHash(hash: string): void {
    this.epoch++;
    this.entries.delete(hash);
  }

  forgetKey(rootKeyId: string): void {
    this.epoch++;
    const hash = this.hashesById.get(rootKeyId);
    if (hash) this.entries.delete(hash);
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Strings at two bytes a character plus a rough per-object overhead: a bound, not an exact count. */
function estimateBytes(entry: CachedRootKey, hash: string): number {
  let bytes = 256 + 2 * (hash.length + entry.id.length + entry.workspaceId.length);
  for (const p of entry.permissions) bytes += 32 + 2 * p.length;
  return bytes;
}

export const ROOT_KEY_CHANGES_CHANNEL = "keyhold_root_keys";

/**
 * Keeps `cache` in step with the database: the triggers in drizzle/0002 announce the hash
 * of every root key whose permissions, expiry or deletion changed, and '*' when a workspace
 * is deleted. On each (re)connection the cache is emptied, since notices sent while the
 * listener was away are lost.
 */
export function subscribeToRootKeyChanges(
  handle: { listen: (channel: string, onNotify: (payload: string) => void, onConnect: () => void) => Promise<() => Promise<void>> },
  cache: RootKeyCache,
): Promise<() => Promise<void>> {
  return handle.listen(
    ROOT_KEY_CHANGES_CHANNEL,
    (payload) => (payload === "*" ? cache.clear() : cache.forgetHash(payload)),
    () => cache.clear(),
  );
}
