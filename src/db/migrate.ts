import { fileURLToPath } from "node:url";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import postgres from "postgres";
import type { DatabaseHandle, DatabaseTarget } from "./client.ts";

export { migrationStatus } from "./migration-status.ts";

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
