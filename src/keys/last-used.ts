import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Database } from "../db/client.ts";
import { safeError } from "../safe-error.ts";

/** What verify tells: this key was used successfully at this time. */
export interface LastUsedNotes {
  note(keyId: string, at: number): void;
}

export interface LastUsedOptions {
  /** How often the batch is written; null: only when flush() is called (tests that compare whole tables). */
  flushEveryMs: number | null;
  /** Most keys held between writes. Reaching it writes at once; notes for further keys while that write runs are dropped, counted and logged. */
  maxKeys: number;
  /**
   * How stale the stored time may be: a key whose column is less than this older than its
   * newest note is not written again. A key in constant use is then written once a minute,
   * not once a second: at 2,000 busy keys that is 2,000 row versions a second (each a dead
   * tuple for vacuum, WAL, an index check) that verify would otherwise cost the database.
   * 0: every batch writes every key it holds.
   */
  resolutionMs: number;
}

export const LAST_USED_DEFAULTS: LastUsedOptions = { flushEveryMs: 1000, maxKeys: 50_000, resolutionMs: 60_000 };

/**
 * `keys.last_used_at` without a database write per verify: verify notes key → time in
 * memory, and once a second one statement writes the batch, to the minute (`resolutionMs`:
 * a key used all the time shows a time at most a minute old). Per instance; the column
 * only ever moves forward, so instances flushing in any order agree on the latest time.
 * The keys update trigger (drizzle/0003) ignores this column, so a flush empties no cache.
 *
 * Approximate by design: a crash loses up to one interval of notes, and a batch the
 * database refuses is lost and logged, never retried (the next verify of each key notes it
 * again). A failed write never reaches the caller: verify never waits on it.
 */
export class LastUsedRecorder implements LastUsedNotes {
  private pending = new Map<string, number>();
  private writing: Promise<void> | null = null;
  private dropped = 0;
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly options: LastUsedOptions = LAST_USED_DEFAULTS,
  ) {
    this.timer = options.flushEveryMs === null ? null : setInterval(() => void this.flush(), options.flushEveryMs);
    this.timer?.unref(); // never what keeps the process alive
  }

  note(keyId: string, at: number): void {
    const seen = this.pending.get(keyId);
    if (seen !== undefined) {
      if (at > seen) this.pending.set(keyId, at);
      return;
    }
    if (this.pending.size >= this.options.maxKeys) {
      this.dropped++;
      return;
    }
    this.pending.set(keyId, at);
    // Full: written at once, or right after the write under way (see flush).
    if (this.pending.size >= this.options.maxKeys && !this.writing) void this.flush();
  }

  /** Keys noted and not yet written. */
  get size(): number {
    return this.pending.size;
  }

  /** Writes everything noted so far, after any write under way. Never throws: a failure is logged. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.pending.size === 0) return this.reportDropped();
    const batch = this.pending;
    this.pending = new Map();
    this.writing = this.write(batch).finally(() => {
      this.writing = null;
      if (this.pending.size >= this.options.maxKeys) void this.flush(); // filled up meanwhile
    });
    await this.writing;
  }

  /** Stops the timer and writes what is left: on shutdown, before the database closes. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private async write(batch: Map<string, number>): Promise<void> {
    const rows = JSON.stringify(Array.from(batch, ([id, t]) => ({ id, t })));
    try {
      // One statement for the batch. Rows are locked in id order, so two instances flushing
      // overlapping batches queue instead of deadlocking; a time no newer than the stored one
      // (or newer by less than the resolution) locks and writes nothing.
      await this.db.execute(sql`
        with batch as (select id, t from jsonb_to_recordset(${rows}::jsonb) as b(id text, t bigint)),
        locked as (
          select keys.id, batch.t from keys join batch on batch.id = keys.id
          where keys.last_used_at is null or (keys.last_used_at < batch.t and keys.last_used_at <= batch.t - ${this.options.resolutionMs}::bigint)
          order by keys.id
          for update of keys
        )
        update keys set last_used_at = greatest(coalesce(keys.last_used_at, 0), locked.t) from locked where keys.id = locked.id`);
    } catch (error) {
      this.logger.error({ err: safeError(error), keys: batch.size }, "last_used_at: a batch could not be written; these keys keep their previous time until used again");
    }
    this.reportDropped();
  }

  private reportDropped(): void {
    if (this.dropped === 0) return;
    this.logger.warn({ dropped: this.dropped, maxKeys: this.options.maxKeys }, "last_used_at: more keys used between writes than the batch holds; these verifies were not noted");
    this.dropped = 0;
  }
}
