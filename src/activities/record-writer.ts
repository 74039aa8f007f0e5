import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { insertJsonRows } from "../db/json-rows.ts";
import { preparedSql } from "../db/prepared.ts";
import { activities, auditPending } from "../db/schema.ts";
import { type AuditEntryInput, pendingRow } from "../audit/append.ts";

type ActivityInsert = typeof activities.$inferInsert;

/** Most records one statement carries. */
const MAX_BATCH = 500;

const activityRows = insertJsonRows(activities, "activities");
const entryRows = insertJsonRows(auditPending, "entries");
/** One statement, so one round trip, and atomic without a transaction around it. */
const insertRecords = preparedSql("keyhold_insert_activity_records", sql`with recorded as (${activityRows.statement}) ${entryRows.statement}`);

/**
 * Statements in flight at once. While they are, new records wait and go together into the
 * next one: under load that is one statement for many requests, not one per request (with a
 * flush every turn of the event loop, 16 connections made batches of two).
 */
const IN_FLIGHT = 2;

/**
 * Writes the records of activities that ran at once (the activity and its trail entry) by
 * group commit: records asked for while earlier ones are being written go into one statement
 * of two multi-row inserts, and each caller's promise settles when it has committed. Nothing
 * is acknowledged before it is durable; under load, many requests share one round trip instead
 * of queueing for one each (it was a fifth of createKey's throughput).
 */
export class ActivityRecordWriter {
  private queue: { activity: ActivityInsert; entry: AuditEntryInput; settle: (error?: unknown) => void }[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(private readonly db: Database) {}

  write(activity: ActivityInsert, entry: AuditEntryInput): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ activity, entry, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      this.schedule();
    });
  }

  /** A flush on the next turn (so records of this turn go together), unless one is due or the statements in flight will pick them up. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= IN_FLIGHT || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    this.inFlight++;
    try {
      await insertRecords(this.db).execute({
        activities: activityRows.rows(batch.map((b) => b.activity)),
        entries: entryRows.rows(batch.map((b) => pendingRow(b.entry))),
      });
      for (const b of batch) b.settle();
    } catch (error) {
      for (const b of batch) b.settle(error ?? new Error("activity records not written"));
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}
