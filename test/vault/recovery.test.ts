import { eq } from "drizzle-orm";
import { SignJWT, generateKeyPair } from "jose";
import pino from "pino";
import { expect, test } from "vitest";
import { keys } from "../../src/db/schema.ts";
import { reencryptKeys } from "../../src/keys/reencrypt-keys.ts";
import { forEachDatabase } from "../harness.ts";

forEachDatabase(
  "recoverable keys",
  (h) => {
    test("round trip: getKey and listKeys with decrypt=true return exactly the key, which still verifies", async () => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      expect((await h().get("/v1/apis.getApi", { apiId }, ws.rootKey)).body.recovery).toEqual({ enabled: true });
      const recoverable = await h().createKey(ws, apiId, { prefix: "sk", recoverable: true });
      const hashedOnly = await h().createKey(ws, apiId, { prefix: "sk" });

      const got = await h().get("/v1/keys.getKey", { keyId: recoverable.keyId, decrypt: "true" }, ws.rootKey);
      expect(got.status).toBe(200);
      expect(got.body.plaintext).toBe(recoverable.key);
      const plain = await h().get("/v1/keys.getKey", { keyId: hashedOnly.keyId, decrypt: "true" }, ws.rootKey);
      expect(plain.status).toBe(200);
      expect(plain.body).not.toHaveProperty("plaintext");

      const list = await h().get("/v1/apis.listKeys", { apiId, decrypt: "true" }, ws.rootKey);
      expect(list.status).toBe(200);
      const byId = Object.fromEntries(list.body.keys.map((k: { id: string; plaintext?: string }) => [k.id, k.plaintext]));
      expect(byId).toEqual({ [recoverable.keyId]: recoverable.key, [hashedOnly.keyId]: undefined });

      for (const q of [{ keyId: recoverable.keyId }, { keyId: recoverable.keyId, decrypt: "false" }] as Record<string, string>[]) {
        expect((await h().get("/v1/keys.getKey", q, ws.rootKey)).body).not.toHaveProperty("plaintext");
      }
      expect(JSON.stringify((await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey)).body)).not.toContain(recoverable.key);
      expect((await h().verify(recoverable.key, { apiId })).body.code).toBe("VALID");
    });

    test("every decrypt is logged with key ids and root key id, never the plaintext", async () => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      const k = await h().createKey(ws, apiId, { recoverable: true });
      const lines: string[] = [];
      const original = h().deps.logger;
      h().deps.logger = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
      try {
        await h().get("/v1/keys.getKey", { keyId: k.keyId, decrypt: "true" }, ws.rootKey);
        await h().get("/v1/apis.listKeys", { apiId, decrypt: "true" }, ws.rootKey);
      } finally {
        h().deps.logger = original;
      }
      const events = lines.map((l) => JSON.parse(l)).filter((l) => l.event === "key.decrypt");
      expect(events).toHaveLength(2);
      for (const e of events) {
        expect(e.keyIds).toEqual([k.keyId]);
        expect(e.rootKeyId).toBe(ws.rootKeyId);
      }
      expect(lines.join("\n")).not.toContain(k.key);
    });

    test("opt-in is not retroactive, and turning recovery off stops new recoverable keys", async () => {
      const ws = await h().workspace();
      const apiId = await h().createApi(ws);
      const before = await h().createKey(ws, apiId);
      await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, ws.rootKey);
      const got = await h().get("/v1/keys.getKey", { keyId: before.keyId, decrypt: "true" }, ws.rootKey);
      expect(got.status).toBe(200);
      expect(got.body).not.toHaveProperty("plaintext");
      await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: false } }, ws.rootKey);
      const refused = await h().post("/v1/keys.createKey", { apiId, recoverable: true }, ws.rootKey);
      expect(refused.status).toBe(412);
      expect(refused.body.error.code).toBe("PRECONDITION_FAILED");
    });

    test("decrypting a key of another workspace is a 404, like a missing key", async () => {
      const a = await h().workspace();
      const b = await h().workspace();
      const apiId = await h().recoverableApi(a);
      const key = await h().createKey(a, apiId, { recoverable: true });
      const foreign = await h().get("/v1/keys.getKey", { keyId: key.keyId, decrypt: "true" }, b.rootKey);
      const missing = await h().get("/v1/keys.getKey", { keyId: "key_1111111111111111111111", decrypt: "true" }, b.rootKey);
      expect(foreign.status).toBe(404);
      expect({ ...foreign.body.error, requestId: "" }).toEqual({ ...missing.body.error, requestId: "" });
    });

    test("vault down during createKey: 503 and no key; back up: decrypts again without restarting the API", async () => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      const before = await h().createKey(ws, apiId, { recoverable: true });
      const tv = h().testVault!;
      await tv.stop();
      try {
        const snapshot = await h().snapshot();
        const res = await h().post("/v1/keys.createKey", { apiId, recoverable: true, name: "during-outage" }, ws.rootKey);
        expect(res.status).toBe(503);
        expect(res.body.error.code).toBe("SERVICE_UNAVAILABLE");
        expect(await h().snapshot()).toEqual(snapshot);
        const read = await h().get("/v1/keys.getKey", { keyId: before.keyId, decrypt: "true" }, ws.rootKey);
        expect(read.status).toBe(503);
        // Hashed-only work goes on while the vault is away.
        expect((await h().verify(before.key)).body.code).toBe("VALID");
      } finally {
        await tv.start();
      }
      const read = await h().get("/v1/keys.getKey", { keyId: before.keyId, decrypt: "true" }, ws.rootKey);
      expect(read.body.plaintext).toBe(before.key);
    });

    test("rotation: new DEK, new master key, re-encryption killed half-way and rerun; every key still decrypts", async () => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      const tv = h().testVault!;
      const created: { keyId: string; key: string }[] = [];
      for (let i = 0; i < 6; i++) created.push(await h().createKey(ws, apiId, { recoverable: true }));
      const firstDek = (await tv.client.describeKeyring(ws.workspaceId))!.primary;
      await tv.vault.keyrings.createDek(ws.workspaceId);
      for (let i = 0; i < 3; i++) created.push(await h().createKey(ws, apiId, { recoverable: true }));

      // Rotate the master key: restart with a new first key, rewrap, restart with only the new one.
      const { generateMasterKey } = await import("../../src/vault/master-keys.ts");
      const oldMaster = tv.options.masterKeys!;
      const newMaster = generateMasterKey();
      await tv.stop();
      await tv.start({ masterKeys: `${newMaster},${oldMaster}` });
      // Every keyring of this (shared) vault is rewrapped; this workspace's two DEKs among them.
      expect((await tv.vault.keyrings.rewrapAll()).rewrapped).toBeGreaterThanOrEqual(2);
      expect((await tv.vault.keyrings.rewrapAll()).rewrapped).toBe(0);
      const ring = (await tv.vault.keyrings.describe(ws.workspaceId))!;
      expect(ring.deks.map((d) => d.kekId)).toEqual([tv.vault.masterKeys.primary.id, tv.vault.masterKeys.primary.id]);
      await tv.stop();
      await tv.start({ masterKeys: newMaster });

      // Kill the re-encryption after 2 keys, then run it again to the end.
      const abort = new AbortController();
      await expect(
        reencryptKeys(h().db, tv.client, {
          workspaceId: ws.workspaceId,
          batchSize: 2,
          signal: abort.signal,
          onProgress: (p) => p.done === 2 && abort.abort(),
        }),
      ).rejects.toThrow();
      const report = await reencryptKeys(h().db, tv.client, { workspaceId: ws.workspaceId });
      expect(report.moved).toBe(4);
      const primary = (await tv.client.describeKeyring(ws.workspaceId))!.primary;
      expect(report.perDek).toEqual({ [primary]: 9 });
      expect(report.unreferencedDeks).toEqual([firstDek]);
      expect((await reencryptKeys(h().db, tv.client, { workspaceId: ws.workspaceId })).moved).toBe(0);

      for (const k of created) {
        expect((await h().get("/v1/keys.getKey", { keyId: k.keyId, decrypt: "true" }, ws.rootKey)).body.plaintext).toBe(k.key);
      }
    });

    test("the vault refuses missing, forged, expired and wrong-audience tokens", async () => {
      const tv = h().testVault!;
      const body = JSON.stringify({ keyring: "ws_x", data: "secret" });
      const call = (token?: string) =>
        fetch(`${tv.url}/vault.v1/encrypt`, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...(token && { Authorization: `Bearer ${token}` }) },
          body,
        });
      const { privateKey: foreignKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
      const { importJWK } = await import("jose");
      const ourKey = await importJWK(tv.tokenKeys.privateJwk, "EdDSA");
      const now = Math.floor(Date.now() / 1000);
      const sign = (key: Parameters<SignJWT["sign"]>[0], claims: { iat: number; exp: number; aud?: string; iss?: string }) =>
        new SignJWT({})
          .setProtectedHeader({ alg: "EdDSA" })
          .setIssuer(claims.iss ?? "keyhold-api")
          .setAudience(claims.aud ?? "keyhold-vault")
          .setIssuedAt(claims.iat)
          .setExpirationTime(claims.exp)
          .sign(key);
      const refused = [
        undefined,
        "not-a-jwt",
        await sign(foreignKey, { iat: now, exp: now + 30 }),
        await sign(ourKey, { iat: now - 120, exp: now - 60 }),
        await sign(ourKey, { iat: now, exp: now + 3600 }), // too long-lived
        await sign(ourKey, { iat: now, exp: now + 30, aud: "someone-else" }),
        await sign(ourKey, { iat: now, exp: now + 30, iss: "someone-else" }),
      ];
      for (const token of refused) {
        const res = await call(token);
        expect(res.status).toBe(401);
        expect(JSON.stringify(await res.json())).not.toContain("encrypted");
      }
      expect((await call(await sign(ourKey, { iat: now, exp: now + 30 }))).status).toBe(200);
    });
  },
  { vault: true },
);
