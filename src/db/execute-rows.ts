import type { SQL } from "drizzle-orm";
import type { Database } from "./client.ts";

/**
 * The rows of a raw `db.execute`: postgres.js answers an array, PGlite `{ rows }`. Kept out
 * of client.ts so that code bundled for Workers (readiness) does not pull in PGlite.
 */
export async function executeRows<T>(db: Database, query: SQL): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}

/** The rows of a raw result from either driver. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : ((result as { rows?: T[] }).rows ?? [])) as T[];
}
