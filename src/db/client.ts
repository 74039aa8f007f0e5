import { existsSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { openPrivateDir } from "../private-data-dir.ts";
import { acquireDataDirLock } from "./data-dir-lock.ts";
import { PrivateNodeFS } from "./private-node-fs.ts";
import * as schema from "./schema.ts";

/** One type for both drivers and for transactions, so services never know which is behind. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  db: Database;
  driver: "postgres" | "pglite";
  /**
   * Subscribes to NOTIFY on `channel`. `onConnect` runs on every (re)connection of the
   * listener: notices sent while it was away are lost, so callers resynchronise there.
   */
  listen(channel: string, onNotify: (payload: string) => void, onConnect: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export type DatabaseTarget =
  | { kind: "postgres"; url: string; maxConnections?: number }
  | { kind: "pglite"; dataDir: string | null; template?: Blob | null }; // dataDir null: in memory (tests)

export async function openDatabase(target: DatabaseTarget): Promise<DatabaseHandle> {
  if (target.kind === "postgres") {
    const sql = postgres(target.url, { max: target.maxConnections ?? 10, onnotice: () => {} });
    return {
      db: drizzlePostgres(sql, { schema }),
      driver: "postgres",
      async listen(channel, onNotify, onConnect) {
        const { unlisten } = await sql.listen(channel, onNotify, onConnect);
        return unlisten;
      },
      close: () => sql.end({ timeout: 5 }),
    };
  }
  // A new database starts from the migrated template when there is one (see pglite-template.ts).
  const fromTemplate = (dir: string | null) =>
    target.template && (dir === null || !existsSync(dir)) ? { loadDataDir: target.template } : {};
  if (target.dataDir === null) {
    const client = await PGlite.create(fromTemplate(null));
    return { db: drizzlePglite(client, { schema }), driver: "pglite", listen: pgliteListen(client), close: () => client.close() };
  }
  // Owner-only (refused if others could have written there; serve tightens), one process at a time.
  openPrivateDir(target.dataDir);
  const lock = acquireDataDirLock(target.dataDir);
  try {
    const pgDir = `${target.dataDir}/pg`;
    const client = await PGlite.create({ ...fromTemplate(pgDir), fs: new PrivateNodeFS(pgDir) });
    return {
      db: drizzlePglite(client, { schema }),
      driver: "pglite",
      listen: pgliteListen(client),
      close: async () => {
        await client.close();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

function pgliteListen(client: PGlite): DatabaseHandle["listen"] {
  return async (channel, onNotify, onConnect) => {
    const unsubscribe = await client.listen(channel, onNotify);
    onConnect();
    return unsubscribe;
  };
}

/** PostgreSQL's unique_violation, as wrapped by either driver. */
export function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | null)?.cause;
  return (error as { code?: string } | null)?.code === "23505" || cause?.code === "23505";
}
