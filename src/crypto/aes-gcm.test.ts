import { bytesToHex } from "@noble/ciphers/utils.js";
import { describe, expect, test } from "vitest";
import { DecryptionError } from "./aead.ts";
import { aes256gcm } from "./aes-gcm.ts";
import { randomBytes } from "./random.ts";

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
