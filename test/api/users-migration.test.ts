import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { afterAll, describe, expect, inject, test } from "vitest";
import { derivedId } from "../../src/ids.ts";
import { createTestDatabase, databaseKinds } from "../harness.ts";

/**
 * drizzle/0009 gives every workspace holding root keys one first user, "Owner", and hands it all
 * of them (revoked ones too: user_id is NOT NULL). Run on a database migrated to 0008 holding
 * root keys, then migrated to the end.
 */

const drizzleFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

function foldersBefore0009(): { before: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "keyhold-0009-"));
  cpSync(drizzleFolder, dir, { recursive: true });
  const journal = JSON.parse(readFileSync(join(dir, "meta/_journal.json"), "utf8"));
  journal.entries = journal.entries.filter((e: { idx: number }) => e.idx <= 8);
  writeFileSync(join(dir, "meta/_journal.json"), JSON.stringify(journal));
  return { before: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

type Exec = (query: ReturnType<typeof sql>) => Promise<Record<string, unknown>[]>;

async function seedRootKeys(exec: Exec): Promise<void> {
  // A: two live root keys and a revoked one; B (deleted) one; C none.
  await exec(sql`insert into workspaces (id, name, created_at, deleted_at) values ('ws_A', 'a', 1, null), ('ws_B', 'b', 1, 50), ('ws_C', 'c', 1, null)`);
  await exec(sql`insert into root_keys (id, workspace_id, hash, start, permissions, created_at, deleted_at) values
    ('rk_1', 'ws_A', 'h1', 's', '{*}', 20, null),
    ('rk_2', 'ws_A', 'h2', 's', '{api.*.read_key}', 10, null),
    ('rk_3', 'ws_A', 'h3', 's', '{*}', 30, 40),
    ('rk_4', 'ws_B', 'h4', 's', '{*}', 15, null)`);
}

async function expectMigrated(exec: Exec): Promise<void> {
  const users = await exec(sql`select id, workspace_id, name, email, tags, created_at::int as created_at, deleted_at from users order by workspace_id`);
  expect(users).toEqual([
    { id: derivedId("usr", "ws_A", "Owner"), workspace_id: "ws_A", name: "Owner", email: null, tags: [], created_at: 10, deleted_at: null },
    { id: derivedId("usr", "ws_B", "Owner"), workspace_id: "ws_B", name: "Owner", email: null, tags: [], created_at: 15, deleted_at: null },
  ]);
  expect(users[0]!.id).toMatch(/^usr_[1-9A-HJ-NP-Za-km-z]{22}$/);
  const owners = await exec(sql`select id, user_id from root_keys order by id`);
  expect(owners).toEqual([
    { id: "rk_1", user_id: users[0]!.id },
    { id: "rk_2", user_id: users[0]!.id },
    { id: "rk_3", user_id: users[0]!.id },
    { id: "rk_4", user_id: users[1]!.id },
  ]);
  // From now on every root key needs a user of its own.
  await expect(exec(sql`insert into root_keys (id, workspace_id, hash, start, permissions, created_at) values ('rk_5', 'ws_C', 'h5', 's', '{*}', 1)`)).rejects.toThrow();
  await expect(exec(sql`insert into root_keys (id, workspace_id, user_id, hash, start, permissions, created_at) values ('rk_5', 'ws_C', 'usr_none', 'h5', 's', '{*}', 1)`)).rejects.toThrow();
  expect(await exec(sql`select proname from pg_proc where proname like 'keyhold_derived_id%'`)).toEqual([]);
}

describe("migration 0009: existing root keys get a first user", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test("PGlite", { timeout: 180_000 }, async () => {
    const { before, cleanup } = foldersBefore0009();
    cleanups.push(cleanup);
    const client = new PGlite();
    cleanups.push(() => client.close());
    const db = drizzlePglite(client);
    await migratePglite(db, { migrationsFolder: before });
    const exec: Exec = async (q) => (await db.execute(q)).rows as Record<string, unknown>[];
    await seedRootKeys(exec);
    await migratePglite(db, { migrationsFolder: drizzleFolder });
    await expectMigrated(exec);
  });

  test.runIf(databaseKinds().includes("postgres"))("PostgreSQL", { timeout: 120_000 }, async () => {
    const { before, cleanup } = foldersBefore0009();
    cleanups.push(cleanup);
    const { url, dropDatabase } = await createTestDatabase(inject("postgresUrl"));
    const client = postgres(url, { max: 1, onnotice: () => {} });
    cleanups.push(dropDatabase, () => client.end({ timeout: 5 }));
    const db = drizzlePostgres(client);
    await migratePostgres(db, { migrationsFolder: before });
    const exec: Exec = async (q) => [...(await db.execute(q))] as Record<string, unknown>[];
    await seedRootKeys(exec);
    await migratePostgres(db, { migrationsFolder: drizzleFolder });
    await expectMigrated(exec);
  });
});
