import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { executeRows } from "../db/execute-rows.ts";

/**
 * The day partitions of the two count tables (drizzle/0008). A partition holds one UTC day
 * of buckets, named `<table>_p<yyyymmdd>`, so retention is `DROP TABLE` of whole days and
 * the indexes a range read walks are one day each. Created ahead by the maintenance task
 * and on demand by a flush that meets a day it has not seen (a clock ahead, a restart after
 * midnight); creation is serialised across instances by an advisory lock, since two
 * concurrent `CREATE TABLE IF NOT EXISTS … PARTITION OF` can still collide.
 */

export const DAY_MS = 86_400_000;
export type CountTable = "key_verifications_minute" | "key_verifications_hour";
export const COUNT_TABLES: CountTable[] = ["key_verifications_minute", "key_verifications_hour"];

/** Locks taken by partition DDL; any instance may run it. */
const PARTITION_LOCK = 7_264_841;

export const dayStart = (t: number): number => Math.floor(t / DAY_MS) * DAY_MS;

export function partitionName(table: CountTable, day: number): string {
  return `${table}_p${new Date(day).toISOString().slice(0, 10).replaceAll("-", "")}`;
}

/** The day a partition name covers, or null for a name that is not one of ours. */
export function partitionDay(table: CountTable, name: string): number | null {
  const m = name.match(new RegExp(`^${table}_p(\\d{4})(\\d{2})(\\d{2})$`));
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
}

/** Creates the day partitions of `table` for these days where missing. */
export async function ensurePartitions(db: Database, table: CountTable, days: Iterable<number>): Promise<void> {
  const wanted = [...new Set([...days].map(dayStart))].sort((a, b) => a - b);
  if (wanted.length === 0) return;
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${PARTITION_LOCK})`);
    for (const day of wanted) {
      // Names and bounds are computed here, never taken from a request.
      await tx.execute(
        sql.raw(`create table if not exists "${partitionName(table, day)}" partition of "${table}" for values from (${day}) to (${day + DAY_MS})`),
      );
    }
  });
}

/** The days `table` has partitions for, oldest first. */
export async function listPartitionDays(db: Database, table: CountTable): Promise<number[]> {
  const rows = await executeRows<{ name: string }>(
    db,
    sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
        where p.relname = ${table} and p.relnamespace = c.relnamespace and pg_table_is_visible(p.oid)`,
  );
  return rows.map((r) => partitionDay(table, r.name)).filter((d): d is number => d !== null).sort((a, b) => a - b);
}

/** Drops one day partition, in the caller's transaction (it holds the advisory lock). */
export async function dropPartition(tx: Database, table: CountTable, day: number): Promise<void> {
  await tx.execute(sql.raw(`drop table if exists "${partitionName(table, day)}"`));
}

export async function lockPartitions(tx: Database): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${PARTITION_LOCK})`);
}
