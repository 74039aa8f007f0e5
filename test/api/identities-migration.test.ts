import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { derivedId } from "../../src/ids.ts";
import { type Exec, upgradeSuite } from "./migration-upgrade.ts";

/**
 * drizzle/0006 turns every distinct owner of a workspace's keys into an identity, with the id
 * v2 already answered for that owner (derivedId), and links the keys to it. Run on a database
 * migrated to 0004 holding keys with owners, then migrated to the end.
 */

/** The migrations folder as it was before 0006: the same files, a journal that stops at 0004. */

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

upgradeSuite("migration 0006: existing owners become identities", { lastIdx: 4, seed: seedOwners, check: expectMigrated });
