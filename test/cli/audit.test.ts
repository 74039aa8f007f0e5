import { sql } from "drizzle-orm";
import { afterAll, describe, expect, inject, test } from "vitest";
import { appendAudit } from "../../src/audit/append.ts";
import { type AuditEntry, hashEntry } from "../../src/audit/entry.ts";
import { type DatabaseTarget, openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { bootstrapWorkspace } from "../../src/workspaces/bootstrap.ts";
import { createTestDatabase } from "../harness.ts";
import { killAll, runCli, tempDataDir } from "./processes.ts";

/**
 * `keyhold audit verify` against a database whose chains were tampered with the way someone
 * with database access would: one entry's details edited, one entry deleted, two entries'
 * seqs swapped, the last entry deleted. Each broken chain is named with its first bad entry.
 */

interface Chains {
  /** workspace → its entries as appended. */
  entries: Record<"edited" | "deleted" | "swapped" | "truncated" | "intact", { workspaceId: string; chain: AuditEntry[] }>;
}

/** Five entries in each of five workspaces, then the tampering (with the append-only trigger off, as an owner could). */
async function seed(target: DatabaseTarget): Promise<Chains> {
  const handle = await openDatabase(target);
  try {
    await runMigrations(handle, target);
    const db = handle.db;
    const make = async () => {
      const { workspaceId } = await bootstrapWorkspace(db);
      const chain: AuditEntry[] = [];
      for (let i = 1; i <= 5; i++) chain.push(await appendAudit(db, { workspaceId, event: "TEST", details: { i } }));
      return { workspaceId, chain };
    };
    const entries = { edited: await make(), deleted: await make(), swapped: await make(), truncated: await make(), intact: await make() };
    await db.execute(sql`alter table audit_log disable trigger audit_log_append_only`);
    await db.execute(sql`update audit_log set details = '{"i": 33}' where workspace_id = ${entries.edited.workspaceId} and seq = 3`);
    await db.execute(sql`delete from audit_log where workspace_id = ${entries.deleted.workspaceId} and seq = 3`);
    const swap = entries.swapped.workspaceId;
    await db.execute(sql`update audit_log set seq = -1 where workspace_id = ${swap} and seq = 2`);
    await db.execute(sql`update audit_log set seq = 2 where workspace_id = ${swap} and seq = 4`);
    await db.execute(sql`update audit_log set seq = 4 where workspace_id = ${swap} and seq = -1`);
    await db.execute(sql`delete from audit_log where workspace_id = ${entries.truncated.workspaceId} and seq = 5`);
    await db.execute(sql`alter table audit_log enable trigger audit_log_append_only`);
    return { entries };
  } finally {
    await handle.close();
  }
}

function auditSuite(name: string, setup: () => Promise<{ target: DatabaseTarget; env: Record<string, string> }>) {
  describe.sequential(name, () => {
    let env: Record<string, string>;
    let chains: Chains;

    test("verify names the first entry changed, deleted or reordered in each broken chain, and exits 1", { timeout: 120_000 }, async () => {
      const ready = await setup();
      env = ready.env;
      chains = await seed(ready.target);
      const { edited, deleted, swapped, truncated, intact } = chains.entries;
      const run = await runCli(["audit", "verify"], env, 60_000);
      expect(run.code, run.stderr).toBe(1);
      const line = (workspaceId: string) => run.stdout.split("\n").find((l) => l.startsWith(`${workspaceId}:`));
      expect(line(edited.workspaceId)).toBe(`${edited.workspaceId}: BROKEN: entry 3 (${edited.chain[2]!.id}) was changed: its content no longer matches its hash`);
      expect(line(deleted.workspaceId)).toBe(`${deleted.workspaceId}: BROKEN: entry 3 was deleted: the chain has no entry with that seq`);
      // Seq 2 now holds what was entry 4: it does not follow entry 1.
      expect(line(swapped.workspaceId)).toMatch(new RegExp(`^${swapped.workspaceId}: BROKEN: entry 2 \\(${swapped.chain[3]!.id}\\) is out of order`));
      expect(line(truncated.workspaceId)).toBe(`${truncated.workspaceId}: BROKEN: entry 5 was deleted: the chain has no entry with that seq`);
      expect(line(intact.workspaceId)).toBe(`${intact.workspaceId}: OK, 5 entries checked`);
      expect(run.stderr).toBe("keyhold: 4 audit chain(s) broken\n");
    });

    test("verify --workspace checks one chain: an intact one exits 0", { timeout: 60_000 }, async () => {
      const { intact } = chains.entries;
      const run = await runCli(["audit", "verify", "--workspace", intact.workspaceId], env, 60_000);
      expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: `${intact.workspaceId}: OK, 5 entries checked\n`, stderr: "" });
    });

    test("export --since writes NDJSON of the entries from then on, each of which hashes to its hash", { timeout: 60_000 }, async () => {
      const { intact } = chains.entries;
      const since = intact.chain[2]!.at;
      const run = await runCli(["audit", "export", "--since", String(since), "--workspace", intact.workspaceId], env, 60_000);
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as AuditEntry);
      expect(lines).toEqual(intact.chain.filter((e) => e.at >= since));
      for (const { hash, seq: _, ...rest } of lines) expect(hashEntry(rest)).toBe(hash);
      const bad = await runCli(["audit", "export", "--since", "last tuesday"], env, 60_000);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/--since: "last tuesday" is neither Unix milliseconds nor an ISO 8601 date/);
    });
  });
}

afterAll(killAll);

auditSuite("keyhold audit on embedded PGlite", async () => {
  const dataDir = tempDataDir();
  return { target: { kind: "pglite", dataDir }, env: { KEYHOLD_DATA_DIR: dataDir } };
});

const serverUrl = inject("postgresUrl");
let dropDatabase: (() => Promise<void>) | undefined;
afterAll(() => dropDatabase?.());
if (serverUrl) {
  auditSuite("keyhold audit with DATABASE_URL (PostgreSQL)", async () => {
    const database = await createTestDatabase(serverUrl);
    dropDatabase = database.dropDatabase;
    return { target: { kind: "postgres", url: database.url }, env: { DATABASE_URL: database.url, KEYHOLD_DATA_DIR: tempDataDir() } };
  });
}
