import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { Batcher } from "../batching/batcher.ts";
import { insertJsonRows } from "../db/json-rows.ts";
import { preparedSql } from "../db/prepared.ts";
import { activities, auditPending } from "../db/schema.ts";
import { type AuditEntryInput, pendingRow } from "../audit/append.ts";

type ActivityInsert = typeof activities.$inferInsert;

const activityRows = insertJsonRows(activities, "activities");
const entryRows = insertJsonRows(auditPending, "entries");
/** One statement, so one round trip, and atomic without a transaction around it. */
const insertRecords = preparedSql("keyhold_insert_activity_records", sql`with recorded as (${activityRows.statement}) ${entryRows.statement}`);

/**
 * Writes the records of activities that ran at once (the activity and its trail entry) by
 * group commit (src/batching/batcher.ts): under load, many requests share one statement instead of
 * queueing for one each (it was a fifth of createKey's throughput).
 */
export class ActivityRecordWriter {
  private readonly commits: Batcher<{ activity: ActivityInsert; entry: AuditEntryInput }, void>;

  constructor(db: Database) {
    this.commits = new Batcher(async (batch) => {
      await insertRecords(db).execute({
        activities: activityRows.rows(batch.map((b) => b.activity)),
        entries: entryRows.rows(batch.map((b) => pendingRow(b.entry))),
      });
      return batch.map((): void => undefined);
    }, { retryEachOnFailure: true });
  }

  write(activity: ActivityInsert, entry: AuditEntryInput): Promise<void> {
    return this.commits.submit({ activity, entry });
  }
}
