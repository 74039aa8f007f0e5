import { describe, expect, test } from "vitest";
import { decodeCiphertext } from "../../src/vault/ciphertext.ts";
import { generateMasterKey, parseMasterKeys } from "../../src/vault/master-keys.ts";
import { expectVaultError, keyringBackends, openKeyrings } from "../keyrings-harness.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const backends = keyringBackends();

describe.each(backends)("Keyrings on $name storage", (backend) => {
  const setup = (overrides: Parameters<typeof openKeyrings>[1] = {}) => openKeyrings(backend, overrides);

  describe("Keyrings", () => {
    test("round trip, bound to keyring and context", async () => {
      const { keyrings } = await setup();
      const { encrypted, dekId } = await keyrings.encrypt("ws_a", enc.encode("sk_live_secret"), "key_1");
      expect(decodeCiphertext(encrypted).dekId).toBe(dekId);
      expect(dec.decode(await keyrings.decrypt("ws_a", encrypted, "key_1"))).toBe("sk_live_secret");
      await expectVaultError(keyrings.decrypt("ws_a", encrypted, "key_2"), "DECRYPT_FAILED");
      await keyrings.encrypt("ws_b", enc.encode("x"), "key_1");
      await expectVaultError(keyrings.decrypt("ws_b", encrypted, "key_1"), "UNKNOWN_DEK");
    });

    test("concurrent encryptions never exceed the cap per DEK", async () => {
      const { keyrings } = await setup({ dekMaxUses: 100 });
      const results = await Promise.all(Array.from({ length: 350 }, (_, i) => keyrings.encrypt("ws_a", enc.encode("v"), `k${i}`)));
      const perDek = new Map<string, number>();
      for (const r of results) perDek.set(r.dekId, (perDek.get(r.dekId) ?? 0) + 1);
      expect(Math.max(...perDek.values())).toBeLessThanOrEqual(100);
      expect(perDek.size).toBe(4);
    });

    test("age: a DEK older than the maximum is replaced before the next encryption", async () => {
      let now = 1_000_000;
      const { keyrings } = await setup({ dekMaxAgeMs: 1000, now: () => now });
      const a = await keyrings.encrypt("ws_a", enc.encode("a"), "k");
      now += 999;
      expect((await keyrings.encrypt("ws_a", enc.encode("b"), "k")).dekId).toBe(a.dekId);
      now += 1;
      const c = await keyrings.encrypt("ws_a", enc.encode("c"), "k");
      expect(c.dekId).not.toBe(a.dekId);
      expect(dec.decode(await keyrings.decrypt("ws_a", a.encrypted, "k"))).toBe("a");
    });

    test("a restarted vault on the same storage decrypts and keeps counting conservatively", async () => {
      const masterKeys = parseMasterKeys(generateMasterKey());
      const first = await setup({ masterKeys, dekMaxUses: 3000 });
      const a = await first.keyrings.encrypt("ws_a", enc.encode("a"), "k");
      const second = await setup({ masterKeys, dir: first.dir, dekMaxUses: 3000 });
      expect(dec.decode(await second.keyrings.decrypt("ws_a", a.encrypted, "k"))).toBe("a");
      const b = await second.keyrings.encrypt("ws_a", enc.encode("b"), "k");
      expect(b.dekId).toBe(a.dekId); // the reservation of the first process is not reused
      const doc = (await second.storage.read("ws_a"))!;
      expect(doc.deks[0]!.usesReserved).toBe(2048);
    });

    test("a tampered wrapped DEK fails to unwrap", async () => {
      const masterKeys = parseMasterKeys(generateMasterKey());
      const { keyrings, storage, dir } = await setup({ masterKeys });
      const { encrypted } = await keyrings.encrypt("ws_a", enc.encode("v"), "k");
      const doc = (await storage.read("ws_a"))!;
      const wrapped = doc.deks[0]!.wrapped;
      const flipped = (wrapped[10] === "A" ? "B" : "A") + "";
      await storage.write({ ...doc, revision: doc.revision + 1, deks: [{ ...doc.deks[0]!, wrapped: wrapped.slice(0, 10) + flipped + wrapped.slice(11) }] });
      const fresh = await setup({ masterKeys, dir });
      await expectVaultError(fresh.keyrings.decrypt("ws_a", encrypted, "k"), "DECRYPT_FAILED");
    });

  });
});
