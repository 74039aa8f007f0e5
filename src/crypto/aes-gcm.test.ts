import { readFileSync } from "node:fs";
import { hexToBytes, bytesToHex } from "@noble/ciphers/utils.js";
import { describe, expect, test } from "vitest";
import { DecryptionError } from "./aead.ts";
import { aes256gcm, open, seal } from "./aes-gcm.ts";
import { randomBytes } from "./random.ts";

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

const file = new URL("../../../shared/vectors/wycheproof-aes256-gcm.json", import.meta.url);
const vectors: Vector[] = JSON.parse(readFileSync(file, "utf8")).testGroups.flatMap((g: { tests: Vector[] }) => g.tests);

describe("AES-256-GCM against Wycheproof", () => {
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

describe("aes256gcm", () => {
  test("round trips and binds the associated data", () => {
    const aead = aes256gcm(randomBytes(32));
    const msg = new TextEncoder().encode("sk_live_abc");
    const ad = new TextEncoder().encode("ad");
    const ct = aead.encrypt(msg, ad);
    expect(aead.decrypt(ct, ad)).toEqual(msg);
    expect(() => aead.decrypt(ct, new TextEncoder().encode("ae"))).toThrow(DecryptionError);
  });

  test("a fresh nonce every time", () => {
    const aead = aes256gcm(randomBytes(32));
    const a = aead.encrypt(new Uint8Array(8), new Uint8Array());
    const b = aead.encrypt(new Uint8Array(8), new Uint8Array());
    expect(bytesToHex(a.subarray(0, 12))).not.toBe(bytesToHex(b.subarray(0, 12)));
  });

  test("short or wrong-key ciphertexts fail with the one generic error", () => {
    const aead = aes256gcm(randomBytes(32));
    expect(() => aead.decrypt(new Uint8Array(27), new Uint8Array())).toThrow(DecryptionError);
    const other = aes256gcm(randomBytes(32)).encrypt(new Uint8Array(4), new Uint8Array());
    expect(() => aead.decrypt(other, new Uint8Array())).toThrow(DecryptionError);
  });
});
