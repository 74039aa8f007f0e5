import { describe, expect, test } from "vitest";
import { decodeCiphertext } from "../../src/vault/ciphertext.ts";
import { generateMasterKey, parseMasterKeys } from "../../src/vault/master-keys.ts";
import { expectVaultError, keyringBackends, openKeyrings } from "../keyrings-harness.ts";

/**
 * Point 13: values under four DEKs and two master keys; after rewrap and re-encryption a
 * restart with only the new master key decrypts 100%. A master key removed before the
 * rewrap is a clear error naming the missing key id, and nothing is lost: put back, it
 * decrypts everything again.
 */
const enc = new TextEncoder();
const dec = new TextDecoder();
const backends = keyringBackends();
const KEYRINGS = ["ws_a", "ws_b"];
const PER_DEK = 5;

describe.each(backends)("adversarial 13: rotation lifecycle ($name)", (backend) => {
  const setup = (overrides: Parameters<typeof openKeyrings>[1] = {}) => openKeyrings(backend, overrides);

  test("four DEKs under two master keys → missing key named → rewrap → re-encrypt → only the new master key: 100% decrypt", async () => {
    const oldKey = generateMasterKey();
    const newKey = generateMasterKey();
    const oldId = parseMasterKeys(oldKey).primary.id;
    const newId = parseMasterKeys(newKey).primary.id;
    const values: { ws: string; encrypted: string; plaintext: string; context: string }[] = [];
    const seal = async (keyrings: Awaited<ReturnType<typeof setup>>["keyrings"], ws: string) => {
      for (let i = 0; i < PER_DEK; i++) {
        const plaintext = `sk_${ws}_${values.length}`;
        const context = `key_${values.length}`;
        values.push({ ws, plaintext, context, ...(await keyrings.encrypt(ws, enc.encode(plaintext), context)) });
      }
    };

    // Two DEKs per keyring under the old master key...
    const first = await setup({ masterKeys: parseMasterKeys(oldKey) });
    for (const ws of KEYRINGS) {
      await seal(first.keyrings, ws);
      await first.keyrings.createDek(ws);
      await seal(first.keyrings, ws);
    }
    // ...then the new master key first: two more DEKs per keyring under it.
    const second = await setup({ masterKeys: parseMasterKeys(`${newKey},${oldKey}`), dir: first.dir });
    for (const ws of KEYRINGS) {
      for (let d = 0; d < 2; d++) {
        await second.keyrings.createDek(ws);
        await seal(second.keyrings, ws);
      }
    }
    for (const ws of KEYRINGS) {
      const ring = (await second.keyrings.describe(ws))!;
      expect(ring.deks.map((d) => d.kekId)).toEqual([oldId, oldId, newId, newId]);
    }
    expect(new Set(values.map((v) => decodeCiphertext(v.encrypted).dekId)).size).toBe(8);

    // The old master key removed before the rewrap: a clear error naming it, for exactly the old DEKs' values.
    const early = await setup({ masterKeys: parseMasterKeys(newKey), dir: first.dir });
    const oldDeks = new Set((await Promise.all(KEYRINGS.map(async (ws) => (await early.keyrings.describe(ws))!.deks.slice(0, 2).map((d) => d.id)))).flat());
    let refused = 0;
    for (const v of values) {
      if (oldDeks.has(decodeCiphertext(v.encrypted).dekId)) {
        const error = await expectVaultError(early.keyrings.decrypt(v.ws, v.encrypted, v.context), "MASTER_KEY_MISSING");
        expect(error.message).toContain(oldId);
        refused++;
      } else {
        expect(dec.decode(await early.keyrings.decrypt(v.ws, v.encrypted, v.context))).toBe(v.plaintext);
      }
    }
    expect(refused).toBe(KEYRINGS.length * 2 * PER_DEK);

    // Nothing was lost: with both keys back, everything decrypts; rewrap, then re-encrypt onto the current DEK.
    const both = await setup({ masterKeys: parseMasterKeys(`${newKey},${oldKey}`), dir: first.dir });
    expect(await both.keyrings.rewrapAll()).toEqual({ keyrings: 2, rewrapped: 4 });
    expect(await both.keyrings.rewrapAll()).toEqual({ keyrings: 2, rewrapped: 0 });
    const reencrypted = [];
    for (const v of values) reencrypted.push({ ...v, encrypted: (await both.keyrings.reEncrypt(v.ws, v.encrypted, v.context)).encrypted });
    for (const ws of KEYRINGS) {
      const primary = (await both.keyrings.describe(ws))!.primary;
      expect(new Set(reencrypted.filter((v) => v.ws === ws).map((v) => decodeCiphertext(v.encrypted).dekId))).toEqual(new Set([primary]));
    }

    // A restart with only the new master key: every value, old ciphertext and re-encrypted one, decrypts.
    const after = await setup({ masterKeys: parseMasterKeys(newKey), dir: first.dir });
    let ok = 0;
    for (const v of [...values, ...reencrypted]) {
      expect(dec.decode(await after.keyrings.decrypt(v.ws, v.encrypted, v.context))).toBe(v.plaintext);
      ok++;
    }
    console.log(`[adversarial 13 ${backend.name}] ${ok}/${values.length * 2} decrypt under only the new master key; ${refused} refused naming ${oldId} before the rewrap`);
    expect(ok).toBe(values.length * 2);
  });
});
