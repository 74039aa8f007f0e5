import { readFileSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { describe, expect, inject, test } from "vitest";
import { derivedId } from "../../src/ids.ts";
import { createTestDatabase, databaseKinds } from "../harness.ts";

/**
 * drizzle/0005 on a database holding keys with permission and role names (as 0004 left them):
 * every name becomes an entity of its workspace whose id is the one v2 answered for it
 * (derivedId, computed in SQL by the migration), and the keys keep their names.
 */

const folder = new URL("../../drizzle/", import.meta.url);
const journal = JSON.parse(readFileSync(new URL("meta/_journal.json", folder), "utf8")) as { entries: { idx: number; tag: string }[] };
const statements = (tag: string) =>
  readFileSync(new URL(`${tag}.sql`, folder), "utf8")
    .split("--> statement-breakpoint")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** What each database needs: run one statement, read rows. */
interface Runner {
  run(statement: string): Promise<void>;
  rows<T>(query: string): Promise<T[]>;
  close(): Promise<void>;
}

const wsA = "ws_migrationA";
const wsB = "ws_migrationB";
// Names that exercise the SQL digest: non-ASCII, long, and the same name in two workspaces.
const names = ["dns.read", "ünïcødé.名前", "x".repeat(300), "admin"];

async function check(db: Runner): Promise<void> {
  for (const entry of journal.entries.filter((e) => e.idx < 5)) for (const s of statements(entry.tag)) await db.run(s);
  await db.run(`insert into workspaces (id, name, created_at) values ('${wsA}', 'a', 1), ('${wsB}', 'b', 1)`);
  await db.run(`insert into apis (id, workspace_id, name, created_at) values ('api_a', '${wsA}', 'a', 1), ('api_b', '${wsB}', 'b', 1)`);
  await db.run(`insert into keys (id, workspace_id, api_id, hash, start, created_at) values ('key_a1', '${wsA}', 'api_a', 'h1', 's', 1), ('key_a2', '${wsA}', 'api_a', 'h2', 's', 1), ('key_b1', '${wsB}', 'api_b', 'h3', 's', 1)`);
  const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
  for (const name of names) {
    await db.run(`insert into key_permissions (key_id, workspace_id, name) values ('key_a1', '${wsA}', ${quote(name)}), ('key_a2', '${wsA}', ${quote(name)}), ('key_b1', '${wsB}', ${quote(name)})`);
  }
  await db.run(`insert into key_roles (key_id, workspace_id, name) values ('key_a1', '${wsA}', 'editor'), ('key_b1', '${wsB}', 'editor'), ('key_b1', '${wsB}', 'ünï role')`);

  for (const s of statements("0005_rbac_entities")) await db.run(s);

  const permissions = await db.rows<{ id: string; workspace_id: string; name: string; slug: string }>("select id, workspace_id, name, slug from permissions order by workspace_id, slug");
  const expected = [wsA, wsB].flatMap((ws) => [...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).map((name) => ({ id: derivedId("perm", ws, name), workspace_id: ws, name, slug: name })));
  expect([...permissions].sort((x, y) => (x.id < y.id ? -1 : 1))).toEqual([...expected].sort((x, y) => (x.id < y.id ? -1 : 1)));
  const roles = await db.rows<{ id: string; workspace_id: string; name: string }>("select id, workspace_id, name from roles order by id");
  expect(roles).toEqual(
    [
      { id: derivedId("role", wsA, "editor"), workspace_id: wsA, name: "editor" },
      { id: derivedId("role", wsB, "editor"), workspace_id: wsB, name: "editor" },
      { id: derivedId("role", wsB, "ünï role"), workspace_id: wsB, name: "ünï role" },
    ].sort((x, y) => (x.id < y.id ? -1 : 1)),
  );
  // The keys keep every name, now held through foreign keys; the helper function is gone.
  expect(await db.rows("select count(*)::int as n from key_permissions")).toEqual([{ n: 12 }]);
  expect(await db.rows("select count(*)::int as n from pg_proc where proname = 'keyhold_derived_id'")).toEqual([{ n: 0 }]);
  // Deleting a migrated permission removes it from the keys holding it (the cascade).
  await db.run(`delete from permissions where workspace_id = '${wsA}' and slug = 'admin'`);
  expect(await db.rows(`select key_id from key_permissions where name = 'admin' order by key_id`)).toEqual([{ key_id: "key_b1" }]);
}

describe("rbac: migration 0005 converts stored names into entities with their derived ids", () => {
  test("PGlite", async () => {
    const pg = new PGlite();
    try {
      await check({ run: async (s) => void (await pg.exec(s)), rows: async <T>(q: string) => (await pg.query<T>(q)).rows, close: () => pg.close() });
    } finally {
      await pg.close();
    }
  });

  test.runIf(databaseKinds().includes("postgres"))("PostgreSQL", async () => {
    const { url, dropDatabase } = await createTestDatabase(inject("postgresUrl"));
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await check({ run: async (s) => void (await sql.unsafe(s)), rows: async <T>(q: string) => (await sql.unsafe(q)) as unknown as T[], close: () => sql.end() });
    } finally {
      await sql.end({ timeout: 5 });
      await dropDatabase();
    }
  });
});
