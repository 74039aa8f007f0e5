import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { afterAll, describe, inject, test } from "vitest";
import { createTestDatabase, databaseKinds } from "../harness.ts";

export type Exec = (query: ReturnType<typeof sql>) => Promise<Record<string, unknown>[]>;

const drizzleFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** A copy of drizzle/ whose journal ends at migration `lastIdx`: a database as an older Keyhold left it. */
function migrationsUpTo(lastIdx: number): { folder: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `keyhold-upto-${lastIdx}-`));
  cpSync(drizzleFolder, dir, { recursive: true });
  const journal = JSON.parse(readFileSync(join(dir, "meta/_journal.json"), "utf8"));
  journal.entries = journal.entries.filter((e: { idx: number }) => e.idx <= lastIdx);
  writeFileSync(join(dir, "meta/_journal.json"), JSON.stringify(journal));
  return { folder: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * An upgrade of existing data, on PGlite and (where it runs) PostgreSQL: a database migrated up
 * to `lastIdx`, `seed` writes rows as that version did, the rest of the migrations run, `check`
 * looks at what they made of the rows.
 */
export function upgradeSuite(title: string, spec: { lastIdx: number; seed: (exec: Exec) => Promise<void>; check: (exec: Exec) => Promise<void> }): void {
  describe(title, () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    // Two migration runs on a fresh embedded database: slow on a loaded machine.
    test("PGlite", { timeout: 180_000 }, async () => {
      const { folder, cleanup } = migrationsUpTo(spec.lastIdx);
      cleanups.push(cleanup);
      const client = new PGlite();
      cleanups.push(() => client.close());
      const db = drizzlePglite(client);
      await migratePglite(db, { migrationsFolder: folder });
      const exec: Exec = async (q) => (await db.execute(q)).rows as Record<string, unknown>[];
      await spec.seed(exec);
      await migratePglite(db, { migrationsFolder: drizzleFolder });
      await spec.check(exec);
    });

    test.runIf(databaseKinds().includes("postgres"))("PostgreSQL", { timeout: 120_000 }, async () => {
      const { folder, cleanup } = migrationsUpTo(spec.lastIdx);
      cleanups.push(cleanup);
      const { url, dropDatabase } = await createTestDatabase(inject("postgresUrl"));
      const client = postgres(url, { max: 1, onnotice: () => {} });
      cleanups.push(dropDatabase, () => client.end({ timeout: 5 }));
      const db = drizzlePostgres(client);
      await migratePostgres(db, { migrationsFolder: folder });
      const exec: Exec = async (q) => [...(await db.execute(q))] as Record<string, unknown>[];
      await spec.seed(exec);
      await migratePostgres(db, { migrationsFolder: drizzleFolder });
      await spec.check(exec);
    });
  });
}
