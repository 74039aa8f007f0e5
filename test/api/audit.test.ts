import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { appendAudit } from "../../src/audit/append.ts";
import { type AuditEntry, GENESIS_HASH, hashEntry } from "../../src/audit/entry.ts";
import { verifyChain } from "../../src/audit/verify-chain.ts";
import { executeRows } from "../../src/db/execute-rows.ts";
import { forEachDatabase } from "../harness.ts";
import { VERSIONS, callOperation, nextCursor } from "../custody/operations.ts";
import { errorMessage, expectErrorEnvelope } from "../security/envelope.ts";

forEachDatabase("audit trail", (h) => {
  const listLogs = (v: "v1" | "v2", input: Record<string, unknown>, token: string) => callOperation(h(), v, "audit.listLogs", input, token, { read: true, list: "logs" });

  test("50 concurrent appends to one workspace make one unbroken chain, seq 1..50", async () => {
    const ws = await h().workspace();
    const appended = await Promise.all(Array.from({ length: 50 }, (_, i) => appendAudit(h().db, { workspaceId: ws.workspaceId, event: "TEST", details: { i } })));
    expect(appended.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await verifyChain(h().db, ws.workspaceId)).toEqual({ workspaceId: ws.workspaceId, checked: 50 });
    const rows = await executeRows<{ seq: string; prev_hash: string; hash: string }>(h().db, sql`select seq, prev_hash, hash from audit_log where workspace_id = ${ws.workspaceId} order by seq`);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
  });

  test("each entry's hash is SHA-256 of its canonical JSON with the previous hash, and the chain verifies", async () => {
    const ws = await h().workspace();
    const first = await appendAudit(h().db, { workspaceId: ws.workspaceId, event: "A", userId: ws.userId, rootKeyId: ws.rootKeyId, apiId: "api_x", keyId: "key_x", activityId: "act_x", activityType: "CREATE_KEY", details: { b: 1, a: [1, { z: null }] } });
    const second = await appendAudit(h().db, { workspaceId: ws.workspaceId, event: "B" });
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, event: "A", activityType: "CREATE_KEY", details: { b: 1, a: [1, { z: null }] } });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, activityId: null, details: {} });
    expect(first.id).toMatch(/^aud_[1-9A-HJ-NP-Za-km-z]{22}$/);
    const { hash, seq, ...rest } = first;
    expect(hashEntry(rest)).toBe(hash);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    // What listLogs serves is what was hashed (jsonb's key order notwithstanding).
    const [served] = (await listLogs("v2", { event: "A" }, ws.rootKey)).data;
    expect(served).toEqual(first);
  });

  test("secret-looking fields of details are stored as [redacted], at any depth", async () => {
    const ws = await h().workspace();
    const entry = await appendAudit(h().db, {
      workspaceId: ws.workspaceId,
      event: "LEAK",
      details: { keyId: "key_1", key: "sk_live_secret", nested: { plaintext: "p", PrivateKey: { d: "x" }, list: [{ rootKey: "kh_root_x", ok: 1 }] } },
    });
    const expected = { keyId: "key_1", key: "[redacted]", nested: { plaintext: "[redacted]", PrivateKey: "[redacted]", list: [{ rootKey: "[redacted]", ok: 1 }] } };
    expect(entry.details).toEqual(expected);
    const stored = JSON.stringify(await executeRows(h().db, sql`select * from audit_log where workspace_id = ${ws.workspaceId}`));
    for (const secret of ["sk_live_secret", "kh_root_x", '"d"']) expect(stored).not.toContain(secret);
  });

  test("an append inside a transaction that rolls back leaves neither an entry nor a moved head", async () => {
    const ws = await h().workspace();
    await appendAudit(h().db, { workspaceId: ws.workspaceId, event: "KEPT" });
    await expect(
      h().db.transaction(async (tx) => {
        await appendAudit(tx, { workspaceId: ws.workspaceId, event: "ROLLED_BACK" });
        throw new Error("the writer failed");
      }),
    ).rejects.toThrow("the writer failed");
    const next = await appendAudit(h().db, { workspaceId: ws.workspaceId, event: "NEXT" });
    expect(next.seq).toBe(2);
    expect(await verifyChain(h().db, ws.workspaceId)).toEqual({ workspaceId: ws.workspaceId, checked: 2 });
  });

  test("audit_log is append-only: UPDATE, DELETE and TRUNCATE are refused by the database", async () => {
    const ws = await h().workspace();
    await appendAudit(h().db, { workspaceId: ws.workspaceId, event: "X" });
    for (const statement of [
      sql`update audit_log set event = 'Y' where workspace_id = ${ws.workspaceId}`,
      sql`delete from audit_log where workspace_id = ${ws.workspaceId}`,
      sql`truncate audit_log`,
    ]) {
      await expect(h().db.execute(statement)).rejects.toThrow();
    }
    expect(await verifyChain(h().db, ws.workspaceId)).toEqual({ workspaceId: ws.workspaceId, checked: 1 });
  });

  describe.each(VERSIONS)("audit.listLogs %s", (v) => {
    test("oldest first, filtered by event, user, root key, key and time, paged by cursor", async () => {
      const ws = await h().workspace();
      const other = await h().workspace();
      const t0 = Date.now();
      const made: AuditEntry[] = [];
      for (let i = 0; i < 6; i++) {
        made.push(
          await appendAudit(h().db, {
            workspaceId: ws.workspaceId,
            event: i % 2 ? "ODD" : "EVEN",
            activityType: i < 3 ? "CREATE_KEY" : "DELETE_KEY",
            userId: i === 4 ? "usr_other" : ws.userId,
            rootKeyId: i === 5 ? "rk_other" : ws.rootKeyId,
            keyId: i === 2 ? "key_2" : undefined,
          }),
        );
      }
      await appendAudit(h().db, { workspaceId: other.workspaceId, event: "EVEN" });
      const seqs = async (input: Record<string, unknown>) => {
        const res = await listLogs(v, input, ws.rootKey);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return res.data.map((e: { seq: number }) => e.seq);
      };
      expect(await seqs({})).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await seqs({ event: "ODD" })).toEqual([2, 4, 6]);
      expect(await seqs({ activityType: "DELETE_KEY" })).toEqual([4, 5, 6]);
      expect(await seqs({ userId: "usr_other" })).toEqual([5]);
      expect(await seqs({ rootKeyId: "rk_other" })).toEqual([6]);
      expect(await seqs({ keyId: "key_2" })).toEqual([3]);
      expect(await seqs({ event: "EVEN", userId: ws.userId })).toEqual([1, 3]);
      expect(await seqs({ since: made[3]!.at, event: "ODD" })).toEqual(made.filter((e) => e.at >= made[3]!.at && e.event === "ODD").map((e) => e.seq));
      expect(await seqs({ since: t0, until: made[0]!.at })).toEqual([]);
      expect(await seqs({ until: made[5]!.at + 1 })).toEqual([1, 2, 3, 4, 5, 6]);

      const pages: number[][] = [];
      let cursor: string | undefined;
      do {
        const res = await listLogs(v, { limit: 4, ...(cursor !== undefined && { cursor }) }, ws.rootKey);
        pages.push(res.data.map((e: { seq: number }) => e.seq));
        cursor = nextCursor(v, res);
      } while (cursor !== undefined && pages.length < 5);
      expect(pages).toEqual([
        [1, 2, 3, 4],
        [5, 6],
      ]);
      // The other workspace's entry is never listed here, and vice versa.
      expect((await listLogs(v, {}, other.rootKey)).data.map((e: { event: string }) => e.event)).toEqual(["EVEN"]);
    });

    test("bad input is a 400; the permission is audit.*.read_log", async () => {
      const ws = await h().workspace();
      for (const input of [{ cursor: "abc" }, { cursor: "-1" }, { limit: 0 }, { since: -5 }, { until: "soon" }]) {
        expectErrorEnvelope(await listLogs(v, input, ws.rootKey), "BAD_REQUEST", JSON.stringify(input));
      }
      const without = await h().rootKey(ws, ["custody.*.read_user"]);
      const refused = await listLogs(v, {}, without.key);
      expectErrorEnvelope(refused, "INSUFFICIENT_PERMISSIONS");
      expect(errorMessage(refused.body)).toContain("audit.*.read_log");
      const reader = await h().rootKey(ws, ["audit.*.read_log"]);
      expect((await listLogs(v, {}, reader.key)).status).toBe(200);
    });
  });
});
