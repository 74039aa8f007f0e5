import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { sha256Hex } from "../crypto/hash.ts";
import type { Database } from "../db/client.ts";
import { safeError } from "../safe-error.ts";
import { type CountTable, ensurePartitions, dayStart } from "./partitions.ts";

/** The key a verification was about: what its counts are filed under. */
export interface CountedKey {
  id: string;
  workspaceId: string;
  apiId: string;
}

/** What verify tells: one verdict about this key, with the request's tags. */
export interface VerificationNotes {
  record(key: CountedKey, outcome: string, tags: readonly string[] | undefined, at: number): void;
}

export interface RecorderOptions {
  /** How often pending counts are written; null: only on flush() (tests, and Workers, which flush per request). */
  flushEveryMs: number | null;
  /** Most distinct rows (key × minute × outcome × tag set) held between writes. */
  maxRows: number;
  /** Most estimated bytes they hold (tags can be long). */
  maxBytes: number;
}

/**
 * Every 5 s: each write adds to the rows of the minute, and a busy key's row would otherwise
 * get a new version every second (2,000 busy keys: 2,000 row versions a second, which took
 * about 5% off uncached verify's throughput on two cores). Analytics stay within seconds;
 * a full buffer is written at once, whatever the interval.
 */
export const RECORDER_DEFAULTS: RecorderOptions = { flushEveryMs: 5000, maxRows: 100_000, maxBytes: 32 * 2 ** 20 };

const MINUTE_MS = 60_000;
/** Estimated bytes of a pending row besides its ids and tags (the Map entry, the object, numbers). */
const ROW_OVERHEAD = 160;

interface PendingRow {
  time: number;
  key: CountedKey;
  outcome: string;
  /** Sorted, each once. */
  tags: string[];
  count: number;
}

/**
 * Verification counts without a database write per verification: verify adds one to a
 * row in memory (key × minute × outcome × tag set), and every 5 s one upsert
 * adds the whole batch to `key_verifications_minute`. Per instance; instances add to the
 * same rows, so their counts sum.
 *
 * What can be lost, and how it shows:
 * - A crash loses what was pending: at most one interval (5 s) of counts.
 *   SIGTERM loses nothing: close() writes what is pending before the database closes.
 * - Beyond `maxRows` or `maxBytes` pending (the database slower than the traffic), further
 *   new rows are not recorded: counted in `dropped` (and the metric
 *   keyhold_analytics_dropped_total) and logged with the next write, never silently.
 *   Verifications adding to a row already pending are always counted.
 * - A write the database refuses keeps its rows pending for the next try (within the same
 *   bounds). The upsert is one statement, so a refused one added nothing; only a write that
 *   committed while its connection broke before the answer would be counted twice.
 */
export class VerificationRecorder implements VerificationNotes {
  private pending = new Map<string, PendingRow>();
  private pendingBytes = 0;
  private writing: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout | null;
  /** Days whose minute partition is known to exist (shared by the per-request recorders of a Worker isolate). */
  private readonly knownDays: Set<number>;
  private droppedSinceLog = 0;
  /** Totals for /metrics. */
  dropped = 0;
  rowsWritten = 0;
  verificationsWritten = 0;
  writeFailures = 0;
  /** When the oldest pending verification was recorded (ms), or null when nothing is pending: the flush lag. */
  private oldestPendingAt: number | null = null;
  /** The same for the batch being written. */
  private writingSince: number | null = null;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly options: RecorderOptions = RECORDER_DEFAULTS,
    private readonly clock: () => number = Date.now,
    knownDays: Set<number> = new Set(),
  ) {
    this.knownDays = knownDays;
    this.timer = options.flushEveryMs === null ? null : setInterval(() => void this.flush(), options.flushEveryMs);
    this.timer?.unref(); // never what keeps the process alive
  }

  record(key: CountedKey, outcome: string, tags: readonly string[] | undefined, at: number): void {
    const time = Math.floor(at / MINUTE_MS) * MINUTE_MS;
    const tagSet = tags && tags.length > 0 ? canonicalTags(tags) : NO_TAGS;
    const id = pendingId(key.id, time, outcome, tagSet);
    const row = this.pending.get(id);
    if (row) {
      row.count++;
      return;
    }
    const bytes = ROW_OVERHEAD + 2 * (id.length + key.workspaceId.length + key.apiId.length);
    if (this.pending.size >= this.options.maxRows || this.pendingBytes + bytes > this.options.maxBytes) {
      this.dropped++;
      this.droppedSinceLog++;
      return;
    }
    this.pending.set(id, { time, key: { id: key.id, workspaceId: key.workspaceId, apiId: key.apiId }, outcome, tags: tagSet, count: 1 });
    this.pendingBytes += bytes;
    this.oldestPendingAt ??= this.clock();
    // Full: written at once, or right after the write under way (see flush).
    if (this.isFull() && !this.writing) void this.flush();
  }

  /** Distinct rows pending. */
  get size(): number {
    return this.pending.size;
  }

  /** Milliseconds the oldest pending count has waited to be written (0: nothing pending). */
  lagMs(): number {
    // The batch being written counts too: its counts are not in the database yet either.
    const oldest = Math.min(this.oldestPendingAt ?? Infinity, this.writingSince ?? Infinity);
    return oldest === Infinity ? 0 : Math.max(0, this.clock() - oldest);
  }

  /** Writes everything recorded so far, after any write under way. Never throws: a failure is logged and retried next time. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.pending.size === 0) return this.reportDropped();
    const batch = this.pending;
    const since = this.oldestPendingAt;
    this.pending = new Map();
    this.pendingBytes = 0;
    this.oldestPendingAt = null;
    this.writingSince = since;
    this.writing = this.write(batch, since).finally(() => {
      this.writing = null;
      this.writingSince = null;
      if (this.isFull()) void this.flush(); // filled up meanwhile
    });
    await this.writing;
  }

  /** Stops the timer and writes what is pending: on shutdown, after the last request and before the database closes. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    // A refused last write has no next try: say what is lost.
    if (this.pending.size > 0) {
      const verifications = [...this.pending.values()].reduce((n, r) => n + r.count, 0);
      this.logger.error({ rows: this.pending.size, verifications }, "analytics: counts could not be written before shutdown and are lost");
      this.pending.clear();
    }
  }

  private async ensureDays(days: number[]): Promise<void> {
    if (days.length === 0) return;
    await ensurePartitions(this.db, "key_verifications_minute", days);
    for (const d of days) this.knownDays.add(d);
  }

  private isFull(): boolean {
    return this.pending.size >= this.options.maxRows || this.pendingBytes >= this.options.maxBytes;
  }

  private async write(batch: Map<string, PendingRow>, since: number | null): Promise<void> {
    const rows = [...batch.values()];
    const days = new Set(rows.map((r) => dayStart(r.time)));
    try {
      try {
        await this.ensureDays([...days].filter((d) => !this.knownDays.has(d)));
        await upsertCounts(this.db, "key_verifications_minute", rows);
      } catch {
        // Most likely a day partition dropped under us (a rollup) or never seen: make sure of every day, once more.
        this.knownDays.clear();
        await this.ensureDays([...days]);
        await upsertCounts(this.db, "key_verifications_minute", rows);
      }
      this.rowsWritten += rows.length;
      for (const r of rows) this.verificationsWritten += r.count;
    } catch (error) {
      this.writeFailures++;
      const kept = this.putBack(rows, since);
      this.logger.error(
        { err: safeError(error), rows: rows.length, kept, lost: rows.length - kept },
        "analytics: verification counts could not be written; they stay pending for the next try",
      );
    }
    this.reportDropped();
  }

  /** A refused batch goes back in front of what arrived meanwhile, within the bounds; what does not fit is dropped (and counted). */
  private putBack(rows: PendingRow[], since: number | null): number {
    let kept = 0;
    for (const row of rows) {
      const id = pendingId(row.key.id, row.time, row.outcome, row.tags);
      const existing = this.pending.get(id);
      if (existing) {
        existing.count += row.count;
        kept++;
        continue;
      }
      const bytes = ROW_OVERHEAD + 2 * (id.length + row.key.workspaceId.length + row.key.apiId.length);
      if (this.pending.size >= this.options.maxRows || this.pendingBytes + bytes > this.options.maxBytes) {
        this.dropped += row.count;
        this.droppedSinceLog += row.count;
        continue;
      }
      this.pending.set(id, row);
      this.pendingBytes += bytes;
      kept++;
    }
    if (since !== null) this.oldestPendingAt = Math.min(this.oldestPendingAt ?? since, since);
    return kept;
  }

  private reportDropped(): void {
    if (this.droppedSinceLog === 0) return;
    this.logger.warn(
      { dropped: this.droppedSinceLog, maxRows: this.options.maxRows, maxBytes: this.options.maxBytes },
      "analytics: more distinct counts pending than the buffer holds; these verifications were not counted",
    );
    this.droppedSinceLog = 0;
  }
}

const NO_TAGS: string[] = [];

/** A pending row's map key: unambiguous, since ids and outcomes hold no NUL and tags are JSON. */
function pendingId(keyId: string, time: number, outcome: string, tags: readonly string[]): string {
  return tags.length === 0 ? `${keyId}\0${time}\0${outcome}` : `${keyId}\0${time}\0${outcome}\0${JSON.stringify(tags)}`;
}

/** Tags as a set: sorted, each once, so `[a, b]` and `[b, a, a]` count as the same tag set. */
export function canonicalTags(tags: readonly string[]): string[] {
  return [...new Set(tags)].sort();
}

/** '' for no tags, else the SHA-256 of the set's JSON: the primary key holds this, not the tags themselves. */
export function tagsHash(tags: readonly string[]): string {
  return tags.length === 0 ? "" : sha256Hex(JSON.stringify(tags));
}

export interface CountRow {
  time: number;
  key: CountedKey;
  outcome: string;
  tags: string[];
  count: number;
}

/**
 * Adds the rows to `table` in one statement. Rows are taken in primary-key order, so two
 * instances adding to overlapping rows queue on the same locks instead of deadlocking.
 */
export async function upsertCounts(db: Database, table: CountTable, rows: CountRow[]): Promise<void> {
  if (rows.length === 0) return;
  const batch = JSON.stringify(rows.map((r) => ({ t: r.time, w: r.key.workspaceId, a: r.key.apiId, k: r.key.id, o: r.outcome, g: r.tags, h: tagsHash(r.tags), c: r.count })));
  const target = sql.identifier(table);
  await db.execute(sql`
    insert into ${target} (time, workspace_id, api_id, key_id, outcome, tags, tags_hash, count)
    select b.t, b.w, b.a, b.k, b.o, array(select jsonb_array_elements_text(b.g)), b.h, b.c
    from jsonb_to_recordset(${batch}::jsonb) as b(t bigint, w text, a text, k text, o text, g jsonb, h text, c bigint)
    order by b.k, b.t, b.o, b.h
    on conflict (key_id, time, outcome, tags_hash) do update set count = ${target}.count + excluded.count`);
}
