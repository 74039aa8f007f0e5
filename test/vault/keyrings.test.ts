import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, test } from "vitest";
import { decodeCiphertext, encodeCiphertext } from "../../src/vault/ciphertext.ts";
import { Keyrings, type KeyringsOptions } from "../../src/vault/keyrings.ts";
import { generateMasterKey, parseMasterKeys } from "../../src/vault/master-keys.ts";
import { DirStorage } from "../../src/vault/storage/dir-storage.ts";
import { PostgresStorage } from "../../src/vault/storage/postgres-storage.ts";
import { createTestDatabase } from "../harness.ts";
import type { KeyringDocument, VaultStorage } from "../../src/vault/storage/storage.ts";
import { VaultError } from "../../src/vault/vault-error.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const cleanups: (() => Promise<void>)[] = [];
const opened: VaultStorage[] = [];

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  for (const c of cleanups.splice(0)) await c();
});

/** Both storage backends: a directory, and a PostgreSQL database of the vault's own when one is configured. */
const backends: { name: string; create(): Promise<string>; open(location: string): Promise<VaultStorage> }[] = [
  {
    name: "dir",
    async create() {
      const dir = mkdtempSync(join(tmpdir(), "keyhold-vault-"));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    open: (dir) => DirStorage.open(dir),
  },
];
if (inject("postgresUrl")) {
  backends.push({
    name: "postgres",
    async create() {
      const { url, dropDatabase } = await createTestDatabase(inject("postgresUrl"));
      cleanups.push(dropDatabase);
      return url;
    },
    open: (url) => PostgresStorage.open(url),
  });
}

describe.each(backends)("Keyrings on $name storage", (backend) => {
  async function setup(overrides: Partial<KeyringsOptions> & { dir?: string } = {}) {
    const dir = overrides.dir ?? (await backend.create());
    const storage = overrides.storage ?? (await backend.open(dir));
    opened.push(storage);
    const keyrings = new Keyrings({
      storage,
      masterKeys: overrides.masterKeys ?? parseMasterKeys(generateMasterKey()),
      dekMaxAgeMs: overrides.dekMaxAgeMs ?? 30 * 86_400_000,
      dekMaxUses: overrides.dekMaxUses ?? 2 ** 24,
      dekCacheTtlMs: overrides.dekCacheTtlMs ?? 60_000,
      now: overrides.now,
    });
    return { dir, storage, keyrings };
  }

  async function expectVaultError(promise: Promise<unknown>, code: VaultError["code"]) {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VaultError);
    expect((error as VaultError).code).toBe(code);
  }

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

    test("a ciphertext relabelled with another DEK of the same keyring fails", async () => {
      const { keyrings } = await setup();
      const first = await keyrings.encrypt("ws_a", enc.encode("v"), "key_1");
      const second = await keyrings.createDek("ws_a");
      const moved = encodeCiphertext({ dekId: second, sealed: decodeCiphertext(first.encrypted).sealed });
      await expectVaultError(keyrings.decrypt("ws_a", moved, "key_1"), "DECRYPT_FAILED");
    });

    test("use cap: encryption cap+1 starts a new DEK and every value still decrypts", async () => {
      const { keyrings } = await setup({ dekMaxUses: 1000 });
      const results: { encrypted: string; dekId: string }[] = [];
      for (let i = 0; i < 1001; i++) results.push(await keyrings.encrypt("ws_a", enc.encode(`v${i}`), `key_${i}`));
      const dekIds = new Set(results.map((r) => r.dekId));
      expect(dekIds.size).toBe(2);
      expect(results.slice(0, 1000).every((r) => r.dekId === results[0]!.dekId)).toBe(true);
      expect(results[1000]!.dekId).not.toBe(results[0]!.dekId);
      for (let i = 0; i < 1001; i++) expect(dec.decode(await keyrings.decrypt("ws_a", results[i]!.encrypted, `key_${i}`))).toBe(`v${i}`);
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

    test("rotate master: rewrap under the new key, then the old key can go", async () => {
      const oldKey = generateMasterKey();
      const newKey = generateMasterKey();
      const before = await setup({ masterKeys: parseMasterKeys(oldKey) });
      const values: { ws: string; encrypted: string; dekId: string }[] = [];
      for (const ws of ["ws_a", "ws_b"]) {
        values.push({ ws, ...(await before.keyrings.encrypt(ws, enc.encode(`${ws}-1`), "k")) });
        await before.keyrings.createDek(ws);
        values.push({ ws, ...(await before.keyrings.encrypt(ws, enc.encode(`${ws}-2`), "k")) });
      }
      // Without the old key, the DEKs cannot be unwrapped: a clear error naming the key.
      const missing = await setup({ masterKeys: parseMasterKeys(newKey), dir: before.dir });
      const error = await missing.keyrings.decrypt("ws_a", values[0]!.encrypted, "k").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VaultError);
      expect((error as VaultError).code).toBe("MASTER_KEY_MISSING");
      expect((error as Error).message).toContain(parseMasterKeys(oldKey).primary.id);

      const both = await setup({ masterKeys: parseMasterKeys(`${newKey},${oldKey}`), dir: before.dir });
      expect(await both.keyrings.rewrapAll()).toEqual({ keyrings: 2, rewrapped: 4 });
      expect(await both.keyrings.rewrapAll()).toEqual({ keyrings: 2, rewrapped: 0 });

      const after = await setup({ masterKeys: parseMasterKeys(newKey), dir: before.dir });
      for (const v of values) expect(dec.decode(await after.keyrings.decrypt(v.ws, v.encrypted, "k"))).toMatch(/^ws_[ab]-[12]$/);
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

    test("a failed DEK write leaves the keyring unchanged", async () => {
      const { storage: real, dir } = await setup();
      let failWrites = false;
      const flaky: VaultStorage = {
        read: (k) => real.read(k),
        write: async (doc: KeyringDocument) => {
          if (failWrites) throw new Error("disk full");
          return real.write(doc);
        },
        list: () => real.list(),
        close: async () => {},
      };
      const { keyrings } = await setup({ storage: flaky, dir });
      const a = await keyrings.encrypt("ws_a", enc.encode("a"), "k");
      const before = JSON.stringify(await real.read("ws_a"));
      failWrites = true;
      await expectVaultError(keyrings.createDek("ws_a"), "STORAGE_FAILED");
      expect(JSON.stringify(await real.read("ws_a"))).toBe(before);
      expect((await keyrings.describe("ws_a"))!.primary).toBe(a.dekId);
      failWrites = false;
      expect((await keyrings.encrypt("ws_a", enc.encode("b"), "k")).dekId).toBe(a.dekId);
    });
  });
});
