import { LRUCache } from "lru-cache";

export interface RecordCacheOptions<T> {
  /** Most records kept (found and "no such record" entries together). */
  max: number;
  /** Most estimated bytes kept: a few large records must not fill memory. */
  maxBytes: number;
  /** An estimate of what one record holds in memory (`null`: a "no such record" entry). */
  sizeOf: (record: T | null, hash: string) => number;
  /** How long a record is trusted without a change notice: the fallback bound. */
  ttlMs: number;
  /** How long "no such record" is trusted; absent: misses are not kept. */
  negativeTtlMs?: number;
}

type Entry<T> = { record: T | null };

/**
 * Records by the hash of their secret (keys, root keys), so a hot one is served without a
 * database read. Entries are dropped by hash when the database announces a change (every
 * instance: see change-notices.ts), by id when this instance made the change (at once),
 * by a predicate for bulk changes, and by age in any case. Bounded by count and by bytes.
 */
export class RecordCache<T extends { id: string }> {
  private readonly entries: LRUCache<string, Entry<T>>;
  private readonly hashesById = new Map<string, string>();
  /** Bumped by every invalidation: a load that raced one is not cached. */
  private epoch = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly options: RecordCacheOptions<T>) {
    this.entries = new LRUCache<string, Entry<T>>({
      max: options.max,
      maxSize: options.maxBytes,
      sizeCalculation: (entry, hash) => options.sizeOf(entry.record, hash),
      ttl: options.ttlMs,
      dispose: (entry, hash) => {
        if (entry.record && this.hashesById.get(entry.record.id) === hash) this.hashesById.delete(entry.record.id);
      },
    });
  }

  /** The cached record (null: cached as missing), or undefined when the cache holds nothing for `hash`. A hit counts. */
  peek(hash: string): T | null | undefined {
    const cached = this.entries.get(hash);
    if (!cached) return undefined;
    this.hits++;
    return cached.record;
  }

  /**
   * The record for `hash`, reading through `load` on a miss. `keepMiss: false` for a load
   * that answers for a narrower question than the hash alone (e.g. scoped to a workspace),
   * whose "no such record" must not stand for everyone's.
   */
  async find(hash: string, load: (hash: string) => Promise<T | null>, options: { keepMiss?: boolean } = {}): Promise<T | null> {
    const cached = this.peek(hash);
    if (cached !== undefined) return cached;
    this.misses++;
    const epoch = this.epoch;
    const record = await load(hash);
    if (epoch !== this.epoch) return record; // changed while we read: don't keep what may be stale
    if (record) {
      this.entries.set(hash, { record });
      if (this.entries.has(hash)) this.hashesById.set(record.id, hash); // an entry over maxBytes is not kept
    } else if (this.options.negativeTtlMs !== undefined && options.keepMiss !== false) {
      this.entries.set(hash, { record: null }, { ttl: this.options.negativeTtlMs });
    }
    return record;
  }

  forgetHash(hash: string): void {
    this.epoch++;
    this.entries.delete(hash);
  }

  forgetId(id: string): void {
    this.epoch++;
    const hash = this.hashesById.get(id);
    if (hash) this.entries.delete(hash);
  }

  /** Drops every record matching `match` (bulk changes such as deleting an API's keys). */
  forgetWhere(match: (record: T) => boolean): void {
    this.epoch++;
    for (const [hash, entry] of this.entries.entries()) if (entry.record && match(entry.record)) this.entries.delete(hash);
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
