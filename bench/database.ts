import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { type DatabaseHandle, type DatabaseTarget, openDatabase } from "../src/db/client.ts";
import { runMigrations } from "../src/db/migrate.ts";
import { createThrowawayDatabase } from "../test/throwaway-database.ts";

export const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/test";

export interface BenchDatabase {
  kind: "postgres" | "pglite";
  /** Where the servers under test connect. */
  target: DatabaseTarget;
  /** The throwaway database's URL (PostgreSQL only), for the raw postgres.js baseline. */
  url: string | null;
  version: string;
  /** A new handle for the bench itself; on PGlite close it before a child opens the data dir. */
  open(): Promise<DatabaseHandle>;
  /** Drops the throwaway database (or deletes the PGlite directory). */
  drop(): Promise<void>;
}

/**
 * A throwaway database on DATABASE_URL's server (or the local default), migrated; when no
 * PostgreSQL answers, an on-disk PGlite directory instead, with a warning: no raw
 * postgres.js baseline and no second instance then, and figures that don't stand for production.
 */
export async function createBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  const serverUrl = process.env.DATABASE_URL || DEFAULT_SERVER_URL;
  const version = await serverVersion(serverUrl);
  if (version === null) {
    log(`WARNING: no PostgreSQL answered at ${redact(serverUrl)}; falling back to embedded PGlite (single process, no database ceiling, no two-instance checks).`);
    return createPglite();
  }
  const { name, url, drop } = await createThrowawayDatabase(serverUrl, "keyhold_bench");
  const target: DatabaseTarget = { kind: "postgres", url };
  const handle = await openDatabase(target);
  await runMigrations(handle, target);
  await handle.close();
  log(`database: throwaway ${name} on ${redact(serverUrl)} (${version})`);
  return {
    kind: "postgres",
    target,
    url: target.url,
    version,
    open: () => openDatabase(target),
    drop,
  };
}

async function createPglite(): Promise<BenchDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "keyhold-bench-pglite-"));
  const target: DatabaseTarget = { kind: "pglite", dataDir: dir };
  const handle = await openDatabase(target);
  await runMigrations(handle, target);
  const result = (await handle.db.execute(sql`select version() as v`)) as unknown as { rows: { v: string }[] };
  await handle.close();
  return {
    kind: "pglite",
    target,
    url: null,
    version: `PGlite: ${result.rows[0]?.v ?? "unknown"}`,
    open: () => openDatabase(target),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function serverVersion(url: string): Promise<string | null> {
  const probe = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    const [row] = await probe<{ v: string }[]>`select version() as v`;
    return row?.v ?? null;
  } catch {
    return null;
  } finally {
    await probe.end({ timeout: 1 }).catch(() => {});
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}
