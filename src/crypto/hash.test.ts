import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { describe, expect, test } from "vitest";
import { randomBytes } from "./random.ts";
import { sha256Bytes, sha256Hex } from "./hash.ts";

describe("native SHA-256", () => {
  test("the FIPS 180-2 vectors", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  test("the same bytes as @noble/hashes for text of every kind and for bytes", () => {
    const texts = ["kh_3ZpF8vQ", "prefix_" + "x".repeat(400), "é漢字🔑", "a\u0000b", ...Array.from({ length: 50 }, () => Buffer.from(randomBytes(24)).toString("base64"))];
    for (const text of texts) {
      expect(sha256Hex(text)).toBe(bytesToHex(sha256(utf8ToBytes(text))));
    }
    const bytes = randomBytes(1000);
    expect(bytesToHex(sha256Bytes(bytes))).toBe(bytesToHex(sha256(bytes)));
  });
});
