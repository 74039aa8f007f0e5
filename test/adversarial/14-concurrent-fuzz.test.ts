import { describe, expect, test } from "vitest";
import { decodeCiphertext, encodeCiphertext } from "../../src/vault/ciphertext.ts";
import type { Keyrings } from "../../src/vault/keyrings.ts";
import { generateMasterKey, parseMasterKeys } from "../../src/vault/master-keys.ts";
import { VaultError } from "../../src/vault/vault-error.ts";
import { keyringBackends, openKeyrings } from "../keyrings-harness.ts";

/**
 * Point 14: 50 async workers for 10 s doing encrypt, decrypt, rotate (new DEK) and
 * re-encrypt over three keyrings, some decrypts on tampered or misplaced ciphertexts.
 * Every decrypt of an intact value returns the original; everything else is a clean,
 * typed VaultError; zero other errors. On PostgreSQL storage two vault instances share
 * it (compare-and-swap races are real); a directory belongs to one vault process. At the
 * end a freshly started vault decrypts every value ever made.
 */
const WORKERS = 50;
const SECONDS = 10;
const KEYRINGS = ["ws_fuzz_a", "ws_fuzz_b", "ws_fuzz_c"];
const enc = new TextEncoder();
const dec = new TextDecoder();
const backends = keyringBackends();

interface Value {
  ws: string;
  context: string;
  plaintext: string;
  encrypted: string;
}

describe.each(backends)("adversarial 14: concurrent fuzz ($name)", (backend) => {
  test(`${WORKERS} workers × ${SECONDS} s: intact decrypts return the original, the rest are typed errors, zero others`, async () => {
    const masterKeys = parseMasterKeys(generateMasterKey());
    const first = await openKeyrings(backend, { masterKeys, dekMaxUses: 200 }); // small cap: rotation by use count too
    const vaults: Keyrings[] = [first.keyrings];
    if (backend.name === "postgres") vaults.push((await openKeyrings(backend, { masterKeys, dir: first.dir, dekMaxUses: 200 })).keyrings);

    const values: Value[] = [];
    const counts = { encrypt: 0, decrypt: 0, tampered: 0, rotate: 0, reEncrypt: 0 };
    const typed = new Map<string, number>();
    const wrong: string[] = [];
    const others: unknown[] = [];
    let seq = 0;
    const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
    const noteTyped = (op: string, error: unknown) => {
      if (error instanceof VaultError) typed.set(`${op}:${error.code}`, (typed.get(`${op}:${error.code}`) ?? 0) + 1);
      else others.push(error);
    };

    async function step(): Promise<void> {
      const vault = pick(vaults);
      const r = Math.random();
      if (r < 0.35 || values.length < 10) {
        const ws = pick(KEYRINGS);
        const n = seq++;
        const plaintext = `sk_${ws}_${n}_${Math.random().toString(36).slice(2)}`;
        const context = `key_${n}`;
        try {
          const { encrypted } = await vault.encrypt(ws, enc.encode(plaintext), context);
          values.push({ ws, context, plaintext, encrypted });
          counts.encrypt++;
        } catch (error) {
          noteTyped("encrypt", error);
        }
      } else if (r < 0.75) {
        const v = pick(values);
        try {
          const out = dec.decode(await vault.decrypt(v.ws, v.encrypted, v.context));
          if (out !== v.plaintext) wrong.push(`${v.context}: got another plaintext`);
          counts.decrypt++;
        } catch (error) {
          noteTyped("decrypt", error);
        }
      } else if (r < 0.85) {
        // Tampered, or in the wrong place: must be refused, never opened.
        const v = pick(values);
        const other = pick(values);
        const { dekId, sealed } = decodeCiphertext(v.encrypted);
        const flipped = sealed.slice();
        flipped[Math.floor(Math.random() * flipped.length)]! ^= 1 << Math.floor(Math.random() * 8);
        const [ws, encrypted, context] = pick<[string, string, string]>([
          [v.ws, encodeCiphertext({ dekId, sealed: flipped }), v.context],
          [v.ws, v.encrypted, `${v.context}x`],
          [other.ws === v.ws ? pick(KEYRINGS.filter((k) => k !== v.ws)) : other.ws, v.encrypted, v.context],
        ]);
        counts.tampered++;
        try {
          await vault.decrypt(ws, encrypted, context);
          wrong.push(`${v.context}: a tampered or misplaced ciphertext decrypted`);
        } catch (error) {
          noteTyped("tampered", error);
        }
      } else if (r < 0.9) {
        try {
          await vault.createDek(pick(KEYRINGS));
          counts.rotate++;
        } catch (error) {
          noteTyped("rotate", error);
        }
      } else {
        const v = pick(values);
        try {
          const { encrypted } = await vault.reEncrypt(v.ws, v.encrypted, v.context);
          values.push({ ...v, encrypted });
          counts.reEncrypt++;
        } catch (error) {
          noteTyped("reEncrypt", error);
        }
      }
    }

    const deadline = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        for (let i = 0; i < 1_000_000 && Date.now() < deadline; i++) await step();
      }),
    );

    // A fresh vault on the same storage opens every value made (no DEK was lost to a race).
    const fresh = (await openKeyrings(backend, { masterKeys, dir: first.dir })).keyrings;
    let reopened = 0;
    for (const v of values) {
      expect(dec.decode(await fresh.decrypt(v.ws, v.encrypted, v.context))).toBe(v.plaintext);
      reopened++;
    }
    const deks = await Promise.all(KEYRINGS.map(async (ws) => (await fresh.describe(ws))?.deks.length ?? 0));
    console.log(
      `[adversarial 14 ${backend.name}] ${vaults.length} vault(s), ops ${JSON.stringify(counts)}, typed errors ${JSON.stringify(Object.fromEntries(typed))}, ` +
        `other errors ${others.length}, wrong plaintexts ${wrong.length}, DEKs per keyring ${deks.join("/")}, ${reopened} reopened by a fresh vault`,
    );
    expect(others.map(String)).toEqual([]);
    expect(wrong).toEqual([]);
    expect(counts.tampered).toBe(typed.get("tampered:DECRYPT_FAILED")! + (typed.get("tampered:UNKNOWN_DEK") ?? 0) + (typed.get("tampered:MALFORMED_CIPHERTEXT") ?? 0));
    // Intact values never fail to decrypt: the only typed errors allowed there are storage contention.
    for (const [key] of typed) if (!key.startsWith("tampered:")) expect(key).toMatch(/:STORAGE_FAILED$/);
    expect(counts.decrypt).toBeGreaterThan(100);
    expect(counts.rotate).toBeGreaterThan(5);
  }, (SECONDS + 50) * 1000);
});
