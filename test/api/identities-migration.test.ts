import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, describe, expect, inject, test } from "vitest";
import { databaseKinds, createTestDatabase } from "../harness.ts";
import { derivedId } from "../../src/ids.ts";

/**
 * drizzle/0006 turns every distinct owner of a workspace's keys into an identity, with the id
 * v2 already answered for that owner (derivedId), and links the keys to it. Run on a database
 * migrated to 0004 holding keys with owners, then migrated to the end.
 */

const drizzleFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** The migrations folder as it was before 0006: the same files, a journal that stops at 0004. */
function foldersBefore0006(): { before: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "keyhold-0006-"));
  cpSync(drizzleFolder, dir, { recursive: true });
  const journal = JSON.parse(readFileSync(join(dir, "meta/_journal.json"), "utf8"));
  journal.entries = journal.entries.filter((e: { idx: number }) => e.idx <= 4);
  writeFileSync(join(dir, "meta/_journal.json"), JSON.stringify(journal));
  return { before: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

type Exec = (query: ReturnType<typeof sql>) => Promise<Record<string, unknown>[]>;

async function seedOwners(exec: Exec): Promise<void> {
  await exec(sql`insert into workspaces (id, name, created_at) values ('ws_A', 'a', 1), ('ws_B', 'b', 1)`);
  await exec(sql`insert into apis (id, workspace_id, name, created_at) values ('api_A', 'ws_A', 'a', 1), ('api_B', 'ws_B', 'b', 1)`);
  // Two keys of one owner, one of another, a key without owner, the same owner name in another workspace,
  // and an owner only a deleted key had.
  await exec(sql`insert into keys (id, workspace_id, api_id, hash, start, owner_id, created_at, deleted_at) values
    ('key_1', 'ws_A', 'api_A', 'h1', 's', 'alice', 10, null),
    ('key_2', 'ws_A', 'api_A', 'h2', 's', 'alice', 5, null),
    ('key_3', 'ws_A', 'api_A', 'h3', 's', 'bob', 7, null),
    ('key_4', 'ws_A', 'api_A', 'h4', 's', null, 7, null),
    ('key_5', 'ws_B', 'api_B', 'h5', 's', 'alice', 8, null),
    ('key_6', 'ws_A', 'api_A', 'h6', 's', 'carol', 9, 20)`);
}

async function expectMigrated(exec: Exec): Promise<void> {
  const identities = await exec(sql`select id, workspace_id, external_id, meta, ratelimits, created_at::int as created_at, deleted_at from identities order by workspace_id, external_id`);
  const expected = [
    ["ws_A", "alice", 5],
    ["ws_A", "bob", 7],
    ["ws_A", "carol", 9],
    ["ws_B", "alice", 8],
  ].map(([ws, owner, createdAt]) => ({
    id: derivedId("id", ws as string, owner as string),
    workspace_id: ws,
    external_id: owner,
    meta: null,
    ratelimits: [],
    created_at: createdAt,
    deleted_at: null,
  }));
  expect(identities).toEqual(expected);
  const links = await exec(sql`select k.id, i.external_id, i.workspace_id from keys k left join identities i on i.id = k.identity_id order by k.id`);
  expect(links).toEqual([
    { id: "key_1", external_id: "alice", workspace_id: "ws_A" },
    { id: "key_2", external_id: "alice", workspace_id: "ws_A" },
    { id: "key_3", external_id: "bob", workspace_id: "ws_A" },
    { id: "key_4", external_id: null, workspace_id: null },
    { id: "key_5", external_id: "alice", workspace_id: "ws_B" },
    { id: "key_6", external_id: "carol", workspace_id: "ws_A" },
  ]);
  const ownerColumn = await exec(sql`select column_name from information_schema.columns where table_name = 'keys' and column_name = 'owner_id'`);
  expect(ownerColumn).toEqual([]);
  // The migration's helper function is gone again.
  expect(await exec(sql`select proname from pg_proc where proname like 'keyhold_derived_id%'`)).toEqual([]);
}

describe("migration 0006: existing owners become identities", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  // Two migration runs on a fresh embedded database: slow on a loaded machine.
  test("PGlite", { timeout: 180_000 }, async () => {
    const { before, cleanup } = foldersBefore0006();
    cleanups.push(cleanup);
    const client = new PGlite();
    cleanups.push(() => client.close());
    const db = drizzlePglite(client);
    await migratePglite(db, { migrationsFolder: before });
    const exec: Exec = async (q) => (await db.execute(q)).rows as Record<string, unknown>[];
    await seedOwners(exec);
    await migratePglite(db, { migrationsFolder: drizzleFolder });
    await expectMigrated(exec);
  });

  test.runIf(databaseKinds().includes("postgres"))("PostgreSQL", { timeout: 120_000 }, async () => {
    const { before, cleanup } = foldersBefore0006();
    cleanups.push(cleanup);
    const { url, dropDatabase } = await createTestDatabase(inject("postgresUrl"));
    const client = postgres(url, { max: 1, onnotice: () => {} });
    cleanups.push(dropDatabase, () => client.end({ timeout: 5 }));
    const db = drizzlePostgres(client);
    await migratePostgres(db, { migrationsFolder: before });
    const exec: Exec = async (q) => [...(await db.execute(q))] as Record<string, unknown>[];
    await seedOwners(exec);
    await migratePostgres(db, { migrationsFolder: drizzleFolder });
    await expectMigrated(exec);
  });
});
