import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { executeRows } from "../db/execute-rows.ts";
import { DAY_MS, dayStart, dropPartition, ensurePartitions, listPartitionDays, lockPartitions, partitionName } from "./partitions.ts";

export interface RetentionOptions {
  /** Counts older than this are dropped (ANALYTICS_RETENTION, default 90 days). */
  retentionMs: number;
  /** Minute buckets older than this are rolled up into hour buckets (ANALYTICS_ROLLUP_AFTER, default 7 days). */
  rollupAfterMs: number;
}

export const RETENTION_DEFAULTS: RetentionOptions = { retentionMs: 90 * DAY_MS, rollupAfterMs: 7 * DAY_MS };
/** Days of partitions kept ready ahead of today (a clock ahead, midnight between two runs). */
export const DAYS_AHEAD = 2;
/** How often every instance runs the maintenance (any of them may; the work is serialised and idempotent). */
export const MAINTAIN_EVERY_MS = 10 * 60_000;

export interface MaintenanceReport {
  /** Minute partitions (their days) rolled up into hours and dropped. */
  rolledUp: number[];
  /** Partitions dropped past retention, by table. */
  expired: { minute: number[]; hour: number[] };
}

/**
 * The analytics tables' upkeep, by whole day partitions:
 * 1. partitions for today and DAYS_AHEAD days ahead, in both tables;
 * 2. every minute partition whose whole day is older than `rollupAfterMs`: its counts summed
 *    per hour into `key_verifications_hour`, and the partition dropped, in one transaction
 *    (so a count is in exactly one of the two tables, never both, never neither);
 * 3. every partition whose whole day is older than `retentionMs`: dropped.
 * So minute detail is kept between `rollupAfterMs` and a day more, and counts between
 * `retentionMs` and a day more. `now` is injectable for tests.
 */
export async function maintainAnalytics(db: Database, options: RetentionOptions, now: number): Promise<MaintenanceReport> {
  const today = dayStart(now);
  const ahead = Array.from({ length: DAYS_AHEAD + 1 }, (_, i) => today + i * DAY_MS);
  await ensurePartitions(db, "key_verifications_minute", ahead);
  await ensurePartitions(db, "key_verifications_hour", ahead);
  const ended = (day: number, ageMs: number) => day + DAY_MS <= now - ageMs;
  const report: MaintenanceReport = { rolledUp: [], expired: { minute: [], hour: [] } };

  for (const day of await listPartitionDays(db, "key_verifications_minute")) {
    if (ended(day, options.retentionMs)) {
      await db.transaction(async (tx) => (await lockPartitions(tx), await dropPartition(tx, "key_verifications_minute", day)));
      report.expired.minute.push(day);
    } else if (ended(day, options.rollupAfterMs)) {
      if (await rollUpDay(db, day)) report.rolledUp.push(day);
    }
  }
  for (const day of await listPartitionDays(db, "key_verifications_hour")) {
    if (!ended(day, options.retentionMs)) continue;
    await db.transaction(async (tx) => (await lockPartitions(tx), await dropPartition(tx, "key_verifications_hour", day)));
    report.expired.hour.push(day);
  }
  return report;
}

/**
 * One minute partition into hours, then dropped. The exclusive lock on the partition makes
 * a late flush into that day wait; once the partition is gone, that flush fails, keeps its
 * counts and makes the partition again, and the next run rolls them up too.
 */
async function rollUpDay(db: Database, day: number): Promise<boolean> {
  const minute = partitionName("key_verifications_minute", day);
  return db.transaction(async (tx) => {
    await lockPartitions(tx);
    // Another instance may have rolled it up while this one waited for the lock.
    const [exists] = await executeRows<{ found: boolean }>(tx, sql`select to_regclass(${`"${minute}"`}) is not null as found`);
    if (!exists?.found) return false;
    await tx.execute(
      sql.raw(`create table if not exists "${partitionName("key_verifications_hour", day)}" partition of "key_verifications_hour" for values from (${day}) to (${day + DAY_MS})`),
    );
    await tx.execute(sql.raw(`lock table "${minute}" in exclusive mode`));
    await tx.execute(
      sql.raw(`insert into "key_verifications_hour" (time, workspace_id, api_id, key_id, outcome, tags, tags_hash, count)
        select (time / 3600000) * 3600000, workspace_id, api_id, key_id, outcome, tags, tags_hash, sum(count)
        from "${minute}"
        group by (time / 3600000) * 3600000, workspace_id, api_id, key_id, outcome, tags, tags_hash
        order by key_id, 1, outcome, tags_hash
        on conflict (key_id, time, outcome, tags_hash) do update set count = "key_verifications_hour".count + excluded.count`),
    );
    await dropPartition(tx, "key_verifications_minute", day);
    return true;
  });
}
