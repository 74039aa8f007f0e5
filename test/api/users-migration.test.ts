import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { derivedId } from "../../src/ids.ts";
import { type Exec, upgradeSuite } from "./migration-upgrade.ts";

/**
 * drizzle/0009 gives every workspace holding root keys one first user, "Owner", and hands it all
 * of them (revoked ones too: user_id is NOT NULL). Run on a database migrated to 0008 holding
 * root keys, then migrated to the end.
 */


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

upgradeSuite("migration 0009: existing root keys get a first user", { lastIdx: 8, seed: seedRootKeys, check: expectMigrated });
