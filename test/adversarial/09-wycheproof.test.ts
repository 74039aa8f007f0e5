import { readFileSync } from "node:fs";
import { bytesToHex, concatBytes, hexToBytes } from "@noble/ciphers/utils.js";
import { describe, expect, test } from "vitest";
import { DecryptionError } from "../../src/crypto/aead.ts";
import { NONCE_BYTES, aes256gcm, open, seal } from "../../src/crypto/aes-gcm.ts";

/**
 * Point 9: every AES-256-GCM vector of Wycheproof (66: 39 valid decrypt to their message,
 * 27 invalid are rejected) through the project's crypto module: the raw seal/open and the
 * AEAD the vault uses (nonce ‖ ciphertext ‖ tag).
 */
interface Vector {
  tcId: number;
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: "valid" | "invalid";
}

// In the repository (test/vectors/, with its licence): a clone must pass its own tests.
const file = new URL("../vectors/wycheproof-aes256-gcm.json", import.meta.url);
const vectors: Vector[] = JSON.parse(readFileSync(file, "utf8")).testGroups.flatMap((g: { tests: Vector[] }) => g.tests);

describe("adversarial 09: AES-256-GCM against Wycheproof", () => {
  test("the vector file has the 66 cases we expect", () => {
    expect(vectors.length).toBe(66);
    expect(vectors.filter((v) => v.result === "valid").length).toBe(39);
  });

  test.each(vectors)("tcId $tcId ($result)", (v) => {
    const key = hexToBytes(v.key);
    const nonce = hexToBytes(v.iv);
    const aad = hexToBytes(v.aad);
    const sealed = hexToBytes(v.ct + v.tag);
    if (v.result === "valid") {
      expect(bytesToHex(open(key, nonce, sealed, aad))).toBe(v.msg);
      expect(bytesToHex(seal(key, nonce, hexToBytes(v.msg), aad))).toBe(v.ct + v.tag);
    } else {
      expect(() => open(key, nonce, sealed, aad)).toThrow(DecryptionError);
    }
  });
});

describe("adversarial 09: the same vectors through the vault's AEAD interface", () => {
  test.each(vectors)("tcId $tcId ($result) via aes256gcm(key).decrypt", (v) => {
    const aead = aes256gcm(hexToBytes(v.key));
    const wire = concatBytes(hexToBytes(v.iv), hexToBytes(v.ct + v.tag));
    const aad = hexToBytes(v.aad);
    expect(hexToBytes(v.iv).length).toBe(NONCE_BYTES); // all 66 use the 96-bit nonce the AEAD uses
    if (v.result === "valid") expect(bytesToHex(aead.decrypt(wire, aad))).toBe(v.msg);
    else expect(() => aead.decrypt(wire, aad)).toThrow(DecryptionError);
  });
});
