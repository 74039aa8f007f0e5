import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import postgres from "postgres";
import type { Database, DatabaseHandle, DatabaseTarget } from "./client.ts";

const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** Brings the schema up to date. Idempotent; on PostgreSQL, instances starting together take turns. */
export async function runMigrations(handle: DatabaseHandle, target: DatabaseTarget): Promise<void> {
  if (target.kind === "pglite") {
    await migratePglite(handle.db as unknown as PgliteDatabase, { migrationsFolder });
    return;
  }
  // An advisory lock is held by a session, so migrate over one dedicated connection.
  const sql = postgres(target.url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(7264839)`;
    await migratePostgres(drizzlePostgres(sql), { migrationsFolder });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** How many migrations the database has applied, against how many this code ships. */
export async function migrationStatus(db: Database): Promise<{ applied: number; known: number }> {
  let applied = 0;
  try {
    const result = (await db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)) as unknown;
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { n: number }[];
    applied = Number(rows[0]?.n ?? 0);
  } catch (error) {
    // Never migrated: the table does not exist (42P01) or its schema does not (3F000).
    const e = error as { code?: string; cause?: { code?: string } };
    const code = e.cause?.code ?? e.code;
    if (code !== "42P01" && code !== "3F000") throw error;
  }
  return { applied, known: journalEntries() };
}

function journalEntries(): number {
  const path = fileURLToPath(new URL("../../drizzle/meta/_journal.json", import.meta.url));
  return (JSON.parse(readFileSync(path, "utf8")) as { entries: unknown[] }).entries.length;
}
