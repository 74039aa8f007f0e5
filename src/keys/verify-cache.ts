import { LRUCache } from "lru-cache";
import { jsonByteLength, utf8ByteLength } from "./storable.ts";
import type { VerifiableKey } from "./verify-key.ts";

export interface VerifyCacheOptions {
  /** Most key records kept (positive and negative entries together). */
  max: number;
  /** How long a found key is trusted without a change notice: the fallback bound. */
  ttlMs: number;
  /** How long "no such key" is trusted; keep it within the cross-instance bound (1 s). */
  negativeTtlMs: number;
  /** Most estimated bytes kept (see entryBytes): a few keys with large meta or many names must not fill memory. */
  maxBytes: number;
}

type Entry = { key: VerifiableKey | null };

/** A record's fixed cost: the hash (its cache key), the row's scalar columns, the objects around them. */
const ENTRY_OVERHEAD_BYTES = 1024;

/** An estimate of what an entry holds in memory: fixed overhead plus its variable-length parts. */
export function entryBytes(entry: Entry): number {
  const key = entry.key;
  if (!key) return ENTRY_OVERHEAD_BYTES;
  let bytes = ENTRY_OVERHEAD_BYTES + jsonByteLength(key.meta ?? undefined);
  for (const s of [key.name, key.ownerId, key.environment, ...key.permissions, ...key.roles]) if (s) bytes += utf8ByteLength(s) + 16;
  return bytes;
}

/**
 * Key records by hash, so a hot key is verified without a database read. Entries are
 * dropped by hash when the database announces a change (every instance), by key or API
 * id when this instance made the change (at once), and by age in any case. Credits and
 * rate limits are never served from here: they are spent in the database.
 */
export class VerifyCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly hashesByKey = new Map<string, string>();
  /** Bumped by every invalidation: a load that raced one is not cached. */
  private epoch = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly options: VerifyCacheOptions) {
    this.entries = new LRUCache<string, Entry>({
      max: options.max,
      maxSize: options.maxBytes,
      sizeCalculation: entryBytes,
      ttl: options.ttlMs,
      dispose: (entry) => {
        if (entry.key) this.hashesByKey.delete(entry.key.id);
      },
    });
  }

  /** The key for `hash`, reading through `load` on a miss. */
  async find(hash: string, load: (hash: string) => Promise<VerifiableKey | null>): Promise<VerifiableKey | null> {
    const cached = this.entries.get(hash);
    if (cached) {
      this.hits++;
      return cached.key;
    }
    this.misses++;
    const epoch = this.epoch;
    const key = await load(hash);
    if (epoch !== this.epoch) return key; // changed while we read: don't keep what may be stale
    this.entries.set(hash, { key }, key ? undefined : { ttl: this.options.negativeTtlMs });
    if (key && this.entries.has(hash)) this.hashesByKey.set(key.id, hash); // an entry over maxBytes is not kept
    return key;
  }

  forgetHash(hash: string): void {
    this.epoch++;
    this.entries.delete(hash);
  }

  forgetKey(keyId: string): void {
    this.epoch++;
    const hash = this.hashesByKey.get(keyId);
    if (hash) this.entries.delete(hash);
  }

  /** Drops every cached key of an API (after deleteApi / deleteKeys). */
  forgetApi(apiId: string): void {
    this.epoch++;
    for (const [hash, entry] of this.entries.entries()) if (entry.key?.apiId === apiId) this.entries.delete(hash);
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Estimated bytes held, never above `maxBytes`. */
  get bytes(): number {
    return this.entries.calculatedSize;
  }
}

export const KEY_CHANGES_CHANNEL = "keyhold_keys";

/**
 * Keeps `cache` in step with the database: the triggers in drizzle/0001 announce every
 * verify-relevant change on any instance. On each (re)connection the cache is emptied,
 * since notices sent while the listener was away are lost.
 */
export function subscribeToKeyChanges(
  handle: { listen: (channel: string, onNotify: (payload: string) => void, onConnect: () => void) => Promise<() => Promise<void>> },
  cache: VerifyCache,
): Promise<() => Promise<void>> {
  return handle.listen(
    KEY_CHANGES_CHANNEL,
    (payload) => (payload === "*" ? cache.clear() : cache.forgetHash(payload)),
    () => cache.clear(),
  );
}
