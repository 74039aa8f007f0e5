import { eq } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { escrowKeys, keys } from "../../src/db/schema.ts";
import { decodeCiphertext, encodeCiphertext } from "../../src/vault/ciphertext.ts";
import { forEachDatabase } from "../harness.ts";
import { openBundle, targetKey } from "../jwe-target.ts";
import { expectVaultError, keyringBackends, openKeyrings } from "../keyrings-harness.ts";

/**
 * Point 11: a ciphertext is bound to its place (associated data = keyring + DEK id + the
 * key's id). Unkey's vault used no associated data, so a ciphertext copied onto another
 * key's row decrypted there. Here it fails when moved to another key's row, another API,
 * another workspace, or relabelled with another DEK; restored, it decrypts again.
 */
const enc = new TextEncoder();

forEachDatabase(
  "adversarial 11: ciphertext binding through the API",
  (h) => {
    test("a ciphertext altered, copied onto another key's row, a key of another API or another workspace never decrypts", async () => {
      const a = await h().workspace();
      const b = await h().workspace();
      const apiA = await h().recoverableApi(a);
      const apiB = await h().recoverableApi(b);
      const k1 = await h().createKey(a, apiA, { recoverable: true });
      const k2 = await h().createKey(a, apiA, { recoverable: true });
      const kb = await h().createKey(b, apiB, { recoverable: true });
      const apiA2 = await h().recoverableApi(a);
      const kOtherApi = await h().createKey(a, apiA2, { recoverable: true });
      const [row1] = await h().db.select().from(keys).where(eq(keys.id, k1.keyId));
      const original = row1!.encrypted!;

      const attempts: [string, string][] = [];
      // A flipped character in the ciphertext body (nonce, data or tag).
      const body = original.split(".")[2]!;
      for (const i of [0, 5, 11, 12, 20, body.length - 1]) {
        const c = body[i] === "A" ? "B" : "A";
        attempts.push([k1.keyId, `${original.split(".").slice(0, 2).join(".")}.${body.slice(0, i)}${c}${body.slice(i + 1)}`]);
      }
      attempts.push([k1.keyId, original.slice(0, -4)]); // truncated
      attempts.push([k2.keyId, original]); // copied onto another key's row
      attempts.push([kOtherApi.keyId, original]); // copied onto a key of another API of the same workspace
      for (const [keyId, encrypted] of attempts) {
        const [before] = await h().db.select().from(keys).where(eq(keys.id, keyId));
        await h().db.update(keys).set({ encrypted }).where(eq(keys.id, keyId));
        const res = await h().get("/v1/keys.getKey", { keyId, decrypt: "true" }, a.rootKey);
        expect(res.status).toBe(500);
        expect(res.body.error.message).toMatch(/could not be decrypted/);
        expect(JSON.stringify(res.body)).not.toContain("sk_");
        await h().db.update(keys).set({ encrypted: before!.encrypted }).where(eq(keys.id, keyId));
      }
      // Moved to another workspace's row: bound to workspace A's keyring.
      const [rowB] = await h().db.select().from(keys).where(eq(keys.id, kb.keyId));
      await h().db.update(keys).set({ encrypted: original }).where(eq(keys.id, kb.keyId));
      expect((await h().get("/v1/keys.getKey", { keyId: kb.keyId, decrypt: "true" }, b.rootKey)).status).toBe(500);
      await h().db.update(keys).set({ encrypted: rowB!.encrypted }).where(eq(keys.id, kb.keyId));
      // Restored rows decrypt again: the failures above came from the tampering alone.
      expect((await h().get("/v1/keys.getKey", { keyId: k1.keyId, decrypt: "true" }, a.rootKey)).body.plaintext).toBe(k1.key);
      expect((await h().get("/v1/keys.getKey", { keyId: kb.keyId, decrypt: "true" }, b.rootKey)).body.plaintext).toBe(kb.key);
    });

    test("an escrow key's sealed private key copied onto another escrow key or workspace, or altered, never exports", async () => {
      const a = await h().workspace();
      const b = await h().workspace();
      const make = async (ws: typeof a) => (await h().post("/v2/escrow.createKey", { name: "bound" }, ws.rootKey)).body.data as { escrowKeyId: string; publicKey: object };
      const [e1, e2, eb] = [await make(a), await make(a), await make(b)];
      const rowOf = async (id: string) => (await h().db.select().from(escrowKeys).where(eq(escrowKeys.id, id)))[0]!;
      const original = (await rowOf(e1.escrowKeyId)).encrypted;
      const target = await targetKey();
      const exportAs = (ws: typeof a, escrowKeyId: string) => h().post("/v2/escrow.exportKey", { escrowKeyId, targetPublicKey: target.publicJwk }, ws.rootKey);
      const body = original.split(".")[2]!;
      const altered = `${original.split(".").slice(0, 2).join(".")}.${body.slice(0, 30)}${body[30] === "A" ? "B" : "A"}${body.slice(31)}`;
      for (const [label, ws, id, encrypted] of [
        ["altered", a, e1.escrowKeyId, altered],
        ["copied onto another escrow key", a, e2.escrowKeyId, original],
        ["copied into another workspace", b, eb.escrowKeyId, original],
      ] as const) {
        const before = (await rowOf(id)).encrypted;
        await h().db.update(escrowKeys).set({ encrypted }).where(eq(escrowKeys.id, id));
        const res = await exportAs(ws, id);
        expect(res.status, label).toBe(500);
        expect(res.body.error.detail, label).toMatch(/could not be decrypted/);
        await h().db.update(escrowKeys).set({ encrypted: before }).where(eq(escrowKeys.id, id));
      }
      // Restored, each exports its own private key: the failures came from the moves alone.
      for (const [ws, e] of [[a, e1], [a, e2], [b, eb]] as const) {
        const res = await exportAs(ws, e.escrowKeyId);
        expect(res.status).toBe(200);
        expect(JSON.parse(await openBundle(res.body.data.exportBundle, target.privateKey))).toMatchObject(e.publicKey);
      }
    });

  },
  { vault: true },
);

const backends = keyringBackends();

describe.each(backends)("adversarial 11: ciphertext binding in the keyrings ($name)", (backend) => {
  const setup = (overrides: Parameters<typeof openKeyrings>[1] = {}) => openKeyrings(backend, overrides);

  test("a ciphertext relabelled with another DEK of the same keyring fails", async () => {
    const { keyrings } = await setup();
    const first = await keyrings.encrypt("ws_a", enc.encode("v"), "key_1");
    const second = await keyrings.createDek("ws_a");
    const moved = encodeCiphertext({ dekId: second, sealed: decodeCiphertext(first.encrypted).sealed });
    await expectVaultError(keyrings.decrypt("ws_a", moved, "key_1"), "DECRYPT_FAILED");
  });

  test("a key pair's sealed private key does not open as a value, nor a value as a key pair", async () => {
    const { keyrings } = await setup();
    const pair = await keyrings.encrypt("ws_a", enc.encode("private"), "esc_1", "keyPair");
    const value = await keyrings.encrypt("ws_a", enc.encode("value"), "esc_1");
    await expectVaultError(keyrings.decrypt("ws_a", pair.encrypted, "esc_1"), "DECRYPT_FAILED");
    await expectVaultError(keyrings.decrypt("ws_a", value.encrypted, "esc_1", "keyPair"), "DECRYPT_FAILED");
    expect(new TextDecoder().decode(await keyrings.decrypt("ws_a", pair.encrypted, "esc_1", "keyPair"))).toBe("private");
  });

});
