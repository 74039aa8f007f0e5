import { sql } from "drizzle-orm";
import { expect, test } from "vitest";
import { authenticateRootKey } from "../../src/auth/root-key-auth.ts";
import { executeRows } from "../../src/db/execute-rows.ts";
import { KeyholdError } from "../../src/errors.ts";
import { createKey } from "../../src/keys/create-key.ts";
import { forEachDatabase } from "../harness.ts";
import { expectError } from "./expect-error.ts";

/**
 * Keys without names are written by group commit: those of concurrent createKey calls go
 * into one statement (src/batching/batcher.ts), which checks each key's API on its own. Calls
 * started in one turn of the event loop share one batch, so these tests mix, in one
 * statement, keys that must be written with keys that must not.
 */
forEachDatabase(
  "createKey by group commit",
  (h) => {
    test("keys made in one batch answer for their own APIs: a missing or another workspace's API is 404 for that key alone", async () => {
      const ws = await h().workspace();
      const other = await h().workspace();
      const apiId = await h().createApi(ws);
      const foreignApi = await h().createApi(other);
      const ctx = await authenticateRootKey(h().db, ws.rootKey);
      const apiIds = [apiId, foreignApi, apiId, "api_0000000000000000000000", apiId, foreignApi, apiId];
      const settled = await Promise.allSettled(apiIds.map((id) => createKey(h().db, null, ctx, { apiId: id })));
      expect(settled.map((s) => (s.status === "fulfilled" ? "created" : (s.reason as KeyholdError).code))).toEqual([
        "created",
        "NOT_FOUND",
        "created",
        "NOT_FOUND",
        "created",
        "NOT_FOUND",
        "created",
      ]);
      const created = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
      for (const { key, keyId } of created) {
        expect((await h().post("/v1/keys.verifyKey", { key, apiId })).body).toMatchObject({ valid: true, keyId });
      }
      const rows = await executeRows<{ api_id: string; n: number }>(h().db, sql`select api_id, count(*)::int as n from keys where workspace_id in (${ws.workspaceId}, ${other.workspaceId}) group by api_id`);
      expect(rows).toEqual([{ api_id: apiId, n: 4 }]);
    });

    test("recoverable keys of two APIs in one batch: recovery purged on one meanwhile refuses its keys (412, no ciphertext) and writes the other's", async () => {
      const ws = await h().workspace();
      const purged = await h().recoverableApi(ws);
      const kept = await h().recoverableApi(ws);
      // The vault's answers are held until the purge is done, then released together: one turn, one batch.
      const client = h().deps.vault!;
      const realEncrypt = client.encrypt;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let encrypted = 0;
      let allEncrypted!: () => void;
      const encrypting = new Promise<void>((resolve) => (allEncrypted = resolve));
      client.encrypt = async (input) => {
        const out = await realEncrypt.call(client, input);
        if (++encrypted === 4) allEncrypted();
        await gate;
        return out;
      };
      try {
        const creating = [purged, kept, purged, kept].map((apiId) => h().post("/v1/keys.createKey", { apiId, recoverable: true }, ws.rootKey));
        await encrypting; // all four read "recovery on" and hold a ciphertext
        expect((await h().post("/v1/apis.updateApi", { apiId: purged, recovery: { enabled: false, purge: true } }, ws.rootKey)).body).toEqual({ purged: 0 });
        release();
        const [a, b, c, d] = await Promise.all(creating);
        expectError(a!, 412, "PRECONDITION_FAILED");
        expectError(c!, 412, "PRECONDITION_FAILED");
        for (const res of [b!, d!]) {
          expect(res.status).toBe(200);
          expect((await h().get("/v1/keys.getKey", { keyId: res.body.keyId, decrypt: "true" }, ws.rootKey)).body.plaintext).toBe(res.body.key);
        }
      } finally {
        release();
        client.encrypt = realEncrypt;
      }
      const rows = await executeRows<{ api_id: string; n: number }>(h().db, sql`select api_id, count(*)::int as n from keys where api_id in (${purged}, ${kept}) and encrypted is not null group by api_id`);
      expect(rows).toEqual([{ api_id: kept, n: 2 }]);
    });
  },
  { vault: true },
);
