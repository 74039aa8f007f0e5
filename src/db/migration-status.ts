import { sql } from "drizzle-orm";
import journal from "../../drizzle/meta/_journal.json" with { type: "json" };
import type { Database } from "./client.ts";
import { executeRows } from "./execute-rows.ts";

/*
 * Kept apart from migrate.ts (which reads the migration files from disk) so that /readyz can
 * use it where there is no file system: the shipped journal is bundled, not read.
 */

/** How many migrations the database has applied, against how many this code ships. */
export async function migrationStatus(db: Database): Promise<{ applied: number; known: number }> {
  let applied = 0;
  try {
    const rows = await executeRows<{ n: number }>(db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    applied = Number(rows[0]?.n ?? 0);
  } catch (error) {
    // Never migrated: the table does not exist (42P01) or its schema does not (3F000).
    const e = error as { code?: string; cause?: { code?: string } };
    const code = e.cause?.code ?? e.code;
    if (code !== "42P01" && code !== "3F000") throw error;
  }
  return { applied, known: journal.entries.length };
}
