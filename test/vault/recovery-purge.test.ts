import { sql } from "drizzle-orm";
import pino from "pino";
import { expect, test } from "vitest";
import { executeRows } from "../../src/db/execute-rows.ts";
import type { VaultClient } from "../../src/vault-client/vault-client.ts";
import { expectError } from "../api/expect-error.ts";
import { type Harness, type Workspace, forEachDatabase } from "../harness.ts";

/** The ciphertexts the database holds for an API's keys, deleted ones included, straight from the table. */
async function storedCiphertexts(h: Harness, apiId: string): Promise<{ id: string; encrypted: string | null; encryption_key_id: string | null }[]> {
  return executeRows(
    h.db,
    sql`select id, encrypted, encryption_key_id from keys where api_id = ${apiId} and (encrypted is not null or encryption_key_id is not null) order by id`,
  );
}

const decrypted = async (h: Harness, ws: Workspace, keyId: string) =>
  (await h.get("/v1/keys.getKey", { keyId, decrypt: "true" }, ws.rootKey)).body.plaintext as string | undefined;

const purge = (h: Harness, apiId: string, token: string) => h.post("/v1/apis.updateApi", { apiId, recovery: { enabled: false, purge: true } }, token);

forEachDatabase(
  "recovery off with purge",
  (h) => {
    test("purge deletes every ciphertext of the API in the switch; keys still verify, another API is untouched", async () => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      const otherApi = await h().recoverableApi(ws);
      const recoverable = [];
      for (let i = 0; i < 3; i++) recoverable.push(await h().createKey(ws, apiId, { recoverable: true }));
      const hashedOnly = await h().createKey(ws, apiId);
      const deleted = await h().createKey(ws, apiId, { recoverable: true });
      expect((await h().post("/v1/keys.deleteKey", { keyId: deleted.keyId }, ws.rootKey)).status).toBe(200);
      const other = await h().createKey(ws, otherApi, { recoverable: true });
      for (const k of recoverable) expect(await decrypted(h(), ws, k.keyId)).toBe(k.key);
      expect(await storedCiphertexts(h(), apiId)).toHaveLength(4);

      const res = await purge(h(), apiId, ws.rootKey);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ purged: 4 });

      expect((await h().get("/v1/apis.getApi", { apiId }, ws.rootKey)).body.recovery).toEqual({ enabled: false });
      expect(await storedCiphertexts(h(), apiId)).toEqual([]);
      for (const k of [...recoverable, hashedOnly]) {
        const got = await h().get("/v1/keys.getKey", { keyId: k.keyId, decrypt: "true" }, ws.rootKey);
        expect(got.status).toBe(200);
        expect(got.body).not.toHaveProperty("plaintext");
        expect((await h().verify(k.key, { apiId })).body.code).toBe("VALID");
      }
      const list = await h().get("/v1/apis.listKeys", { apiId, decrypt: "true" }, ws.rootKey);
      expect(list.status).toBe(200);
      expect(list.body.keys).toHaveLength(4);
      for (const k of list.body.keys) expect(k).not.toHaveProperty("plaintext");

      expect(await decrypted(h(), ws, other.keyId)).toBe(other.key);
      expect(await storedCiphertexts(h(), otherApi)).toHaveLength(1);

      // Nothing comes back: not by switching recovery on again, not by purging again.
      expect((await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, ws.rootKey)).body).toEqual({});
      expect(await decrypted(h(), ws, recoverable[0]!.keyId)).toBeUndefined();
      expect((await purge(h(), apiId, ws.rootKey)).body).toEqual({ purged: 0 });
      expect((await h().post("/v1/keys.createKey", { apiId, recoverable: true }, ws.rootKey)).status).toBe(412);
    });

    test("purge with enabled true is a 400; purge needs update_api and encrypt_key; nothing changes when refused", async () => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      const k = await h().createKey(ws, apiId, { recoverable: true });
      const before = await h().snapshot();
      expectError(await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: true, purge: true } }, ws.rootKey), 400, "BAD_REQUEST");
      expectError(await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: false, purge: "yes" } }, ws.rootKey), 400, "BAD_REQUEST");
      const updater = await h().rootKey(ws, [`api.${apiId}.update_api`, "api.*.decrypt_key"]);
      const refused = await purge(h(), apiId, updater.key);
      expectError(refused, 403, "INSUFFICIENT_PERMISSIONS");
      expect(refused.body.error.message).toContain(`api.${apiId}.encrypt_key`);
      const withoutUpdate = await h().rootKey(ws, ["api.*.encrypt_key"]);
      expectError(await purge(h(), apiId, withoutUpdate.key), 403, "INSUFFICIENT_PERMISSIONS");
      const snapshot = await h().snapshot();
      // Root keys were added above; every other table is as before.
      expect({ ...snapshot, root_keys: [] }).toEqual({ ...before, root_keys: [] });
      expect(await decrypted(h(), ws, k.keyId)).toBe(k.key);

      const allowed = await h().rootKey(ws, [`api.${apiId}.update_api`, `api.${apiId}.encrypt_key`]);
      expect((await purge(h(), apiId, allowed.key)).body).toEqual({ purged: 1 });
    });

    test("the purge is logged with the API, the root key and the count, never a key or a ciphertext", async () => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      const k = await h().createKey(ws, apiId, { recoverable: true });
      const encrypted = (await storedCiphertexts(h(), apiId))[0]!.encrypted!;
      const lines: string[] = [];
      const original = h().deps.logger;
      h().deps.logger = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
      try {
        expect((await purge(h(), apiId, ws.rootKey)).status).toBe(200);
      } finally {
        h().deps.logger = original;
      }
      const events = lines.map((l) => JSON.parse(l)).filter((l) => l.event === "api.recovery_purge");
      expect(events).toEqual([expect.objectContaining({ apiId, rootKeyId: ws.rootKeyId, purged: 1, requestId: expect.stringMatching(/^req_/) })]);
      expect(lines.join("\n")).not.toContain(k.key);
      expect(lines.join("\n")).not.toContain(encrypted);
    });

    test("a failure half-way through the purge leaves recovery on and every ciphertext in place", async () => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      const created = [];
      for (let i = 0; i < 3; i++) created.push(await h().createKey(ws, apiId, { recoverable: true }));
      // The database refuses to clear the last key's ciphertext: the API row and the others were already written in the transaction.
      const victim = created.at(-1)!.keyId;
      await executeRows(
        h().db,
        sql.raw(`create function purge_fault() returns trigger language plpgsql as $$ begin raise exception 'injected fault'; end $$`),
      );
      await executeRows(
        h().db,
        sql.raw(`create trigger purge_fault before update of encrypted on keys for each row when (new.id = '${victim}' and new.encrypted is null) execute function purge_fault()`),
      );
      const before = await h().snapshot();
      try {
        const res = await purge(h(), apiId, ws.rootKey);
        expect(res.status).toBe(500);
        expect(JSON.stringify(res.body)).not.toContain("injected");
      } finally {
        await executeRows(h().db, sql.raw("drop trigger purge_fault on keys"));
        await executeRows(h().db, sql.raw("drop function purge_fault()"));
      }
      expect(await h().snapshot()).toEqual(before);
      expect((await h().get("/v1/apis.getApi", { apiId }, ws.rootKey)).body.recovery).toEqual({ enabled: true });
      for (const k of created) expect(await decrypted(h(), ws, k.keyId)).toBe(k.key);
      expect((await purge(h(), apiId, ws.rootKey)).body).toEqual({ purged: 3 });
    });

    test("a recoverable key being created while recovery is purged is refused, not left behind with a ciphertext", async () => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      // The app's vault client calls through to this one: its encrypt is held open until the purge is done.
      const client = h().deps.vault!;
      const realEncrypt = client.encrypt;
      let encrypting!: () => void;
      const started = new Promise<void>((resolve) => (encrypting = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      client.encrypt = async (input) => {
        const out = await realEncrypt.call(client, input);
        encrypting();
        await gate;
        return out;
      };
      try {
        const creating = h().post("/v1/keys.createKey", { apiId, recoverable: true }, ws.rootKey);
        await started; // the API has read "recovery on" and the vault has made the ciphertext
        expect((await purge(h(), apiId, ws.rootKey)).body).toEqual({ purged: 0 });
        release();
        expectError(await creating, 412, "PRECONDITION_FAILED");
      } finally {
        release();
        client.encrypt = realEncrypt;
      }
      expect(await storedCiphertexts(h(), apiId)).toEqual([]);
      expect((await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey)).body.total).toBe(0);
    });
  },
  { vault: true },
);

forEachDatabase(
  "recovery purge and the verify cache",
  (h) => {
    test("a verified key's cached record holds no ciphertext, so none outlives a purge in memory", async () => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      const k = await h().createKey(ws, apiId, { recoverable: true });
      const { encrypted, encryption_key_id } = (await storedCiphertexts(h(), apiId))[0]!;
      const cache = h().deps.verifyCache!;
      const dump = () => JSON.stringify((cache as unknown as { entries: { dump(): unknown } }).entries.dump());
      // Verified until the record is cached (the creation's own change notice may empty the
      // entry once on its way), and read before the purge, whose notice evicts it again.
      let cached = "";
      for (let i = 0; i < 100 && !cached.includes(k.keyId); i++) {
        expect((await h().verify(k.key)).body.code).toBe("VALID");
        cached = dump();
        if (!cached.includes(k.keyId)) await new Promise((r) => setTimeout(r, 10));
      }
      expect(cached).toContain(k.keyId);
      expect(cached).not.toContain(encrypted!);
      expect(cached).not.toContain(encryption_key_id!);
      expect((await purge(h(), apiId, ws.rootKey)).body).toEqual({ purged: 1 });
      expect((await h().verify(k.key)).body.code).toBe("VALID");
    });
  },
  { vault: true, cache: true },
);
