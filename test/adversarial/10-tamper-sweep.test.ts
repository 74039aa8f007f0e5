import { describe, expect, test } from "vitest";
import { DecryptionError } from "../../src/crypto/aead.ts";
import { aes256gcm } from "../../src/crypto/aes-gcm.ts";
import { randomBytes } from "../../src/crypto/random.ts";
import { decodeCiphertext, encodeCiphertext, valueAssociatedData } from "../../src/vault/ciphertext.ts";
import { VaultError } from "../../src/vault/vault-error.ts";
import { keyringBackends, openKeyrings } from "../keyrings-harness.ts";

/**
 * Point 10: every single-bit flip of nonce, ciphertext and tag, every bit of the associated
 * data, every truncation and appended bytes: an error every time. Unkey's bit-flip test
 * passed when a tampered ciphertext decrypted to a different plaintext; here any plaintext
 * at all, the original or another, counts as a failure.
 */
const enc = new TextEncoder();
const dec = new TextDecoder();
const KEY = "sk_3ZbLpQeXk7mN2vR8tYwA1cD4fG6h"; // the shape of a real key

type Outcome = "error" | "same plaintext" | "other plaintext";

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

function tally(outcomes: Outcome[]): Record<Outcome, number> {
  const t: Record<Outcome, number> = { error: 0, "same plaintext": 0, "other plaintext": 0 };
  for (const o of outcomes) t[o]++;
  return t;
}

describe("adversarial 10: tamper sweep on the AEAD (nonce ‖ ciphertext ‖ tag, with the vault's own associated data)", () => {
  const aead = aes256gcm(randomBytes(32));
  const ad = valueAssociatedData("ws_tamper", "dek_1111111111111111111111", "key_2222222222222222222222");
  const plaintext = enc.encode(KEY);
  const wire = aead.encrypt(plaintext, ad);

  function attempt(ciphertext: Uint8Array, associatedData: Uint8Array): Outcome {
    try {
      const out = aead.decrypt(ciphertext, associatedData);
      return dec.decode(out) === KEY ? "same plaintext" : "other plaintext";
    } catch (error) {
      expect(error).toBeInstanceOf(DecryptionError); // one generic error, never another kind
      return "error";
    }
  }

  test("control: the untouched ciphertext decrypts", () => {
    expect(dec.decode(aead.decrypt(wire, ad))).toBe(KEY);
  });

  test(`every one of the ${wire.length * 8} bits of nonce, ciphertext and tag`, () => {
    const outcomes = Array.from({ length: wire.length * 8 }, (_, bit) => attempt(flipBit(wire, bit), ad));
    console.log(`[adversarial 10] AEAD wire bit flips: ${JSON.stringify(tally(outcomes))}`);
    expect(tally(outcomes)).toEqual({ error: wire.length * 8, "same plaintext": 0, "other plaintext": 0 });
  });

  test(`every one of the ${ad.length * 8} bits of the associated data`, () => {
    const outcomes = Array.from({ length: ad.length * 8 }, (_, bit) => attempt(wire, flipBit(ad, bit)));
    expect(tally(outcomes)).toEqual({ error: ad.length * 8, "same plaintext": 0, "other plaintext": 0 });
  });

  test("every truncation (0 … n-1 bytes), 1–64 appended bytes, and a missing or extra associated-data byte", () => {
    const outcomes: Outcome[] = [];
    for (let n = 0; n < wire.length; n++) outcomes.push(attempt(wire.subarray(0, n), ad));
    for (let n = 1; n <= 64; n++) {
      const longer = new Uint8Array(wire.length + n);
      longer.set(wire);
      longer.set(randomBytes(n), wire.length);
      outcomes.push(attempt(longer, ad), attempt(Uint8Array.from([...wire, ...new Uint8Array(n)]), ad));
    }
    outcomes.push(attempt(wire, ad.subarray(0, ad.length - 1)), attempt(wire, Uint8Array.from([...ad, 0])), attempt(wire, new Uint8Array()));
    expect(tally(outcomes)).toEqual({ error: outcomes.length, "same plaintext": 0, "other plaintext": 0 });
  });
});

const backends = keyringBackends();

describe.each(backends.filter((b) => b.name === "dir"))("adversarial 10: tamper sweep through the vault's keyrings ($name)", (backend) => {
  async function sealed() {
    const { keyrings } = await openKeyrings(backend);
    const { encrypted } = await keyrings.encrypt("ws_tamper", enc.encode(KEY), "key_2222222222222222222222");
    return { keyrings, encrypted };
  }

  async function attempt(keyrings: Awaited<ReturnType<typeof sealed>>["keyrings"], encrypted: string, context: string, keyring = "ws_tamper"): Promise<Outcome> {
    try {
      const out = await keyrings.decrypt(keyring, encrypted, context);
      return dec.decode(out) === KEY ? "same plaintext" : "other plaintext";
    } catch (error) {
      expect(error).toBeInstanceOf(VaultError); // a clean, typed refusal
      return "error";
    }
  }

  test("every bit of the stored ciphertext's sealed bytes, every truncation and appended bytes of its text", async () => {
    const { keyrings, encrypted } = await sealed();
    const context = "key_2222222222222222222222";
    expect(await attempt(keyrings, encrypted, context)).toBe("same plaintext");
    const { dekId, sealed: bytes } = decodeCiphertext(encrypted);
    const outcomes: Outcome[] = [];
    for (let bit = 0; bit < bytes.length * 8; bit++) outcomes.push(await attempt(keyrings, encodeCiphertext({ dekId, sealed: flipBit(bytes, bit) }), context));
    for (let n = 0; n < encrypted.length; n++) outcomes.push(await attempt(keyrings, encrypted.slice(0, n), context));
    for (const extra of ["A", "AA", "AAAA", "x", ".", "=", "AAAAAAAAAAAAAAAAAAAAAA"]) outcomes.push(await attempt(keyrings, encrypted + extra, context));
    console.log(`[adversarial 10] keyring ciphertext tampering: ${outcomes.length} attempts, ${JSON.stringify(tally(outcomes))}`);
    expect(tally(outcomes)).toEqual({ error: outcomes.length, "same plaintext": 0, "other plaintext": 0 });
  });

  test("every bit of the context (the key id) and of the keyring name", async () => {
    const { keyrings, encrypted } = await sealed();
    const context = "key_2222222222222222222222";
    const outcomes: Outcome[] = [];
    const flipChar = (s: string, bit: number) => s.slice(0, bit >> 3) + String.fromCharCode(s.charCodeAt(bit >> 3) ^ (1 << (bit & 7))) + s.slice((bit >> 3) + 1);
    for (let bit = 0; bit < context.length * 8; bit++) outcomes.push(await attempt(keyrings, encrypted, flipChar(context, bit)));
    const keyring = "ws_tamper";
    for (let bit = 0; bit < keyring.length * 8; bit++) outcomes.push(await attempt(keyrings, encrypted, context, flipChar(keyring, bit)));
    expect(tally(outcomes)).toEqual({ error: outcomes.length, "same plaintext": 0, "other plaintext": 0 });
  });
});
