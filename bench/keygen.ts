import { createHash, randomBytes } from "node:crypto";
import { base58 } from "@scure/base";
import { parseKey } from "../src/keys/key-format.ts";

/**
 * Keys in Keyhold's exact format (`<prefix>_<base58 body><6-char checksum>`), made fast
 * enough to seed a million rows: one CSPRNG read per batch, checksum digits in Number
 * arithmetic, SHA-256 from node:crypto. `assertKeyholdFormat` checks samples against
 * the real parser, so this can never drift from src/keys/key-format.ts unnoticed.
 */
const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const BODY_BYTES = 16;

export interface GeneratedKey {
  key: string;
  hash: string;
  start: string;
}

export function generateKeys(prefix: string, count: number): GeneratedKey[] {
  const head = `${prefix}_`;
  const random = randomBytes(BODY_BYTES * count);
  const out: GeneratedKey[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const body = base58.encode(random.subarray(i * BODY_BYTES, (i + 1) * BODY_BYTES));
    const key = `${head}${body}${checksum(head + body)}`;
    out[i] = { key, hash: sha256Hex(key), start: key.slice(0, head.length + 4) };
  }
  return out;
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

function checksum(text: string): string {
  let n = createHash("sha256").update(text).digest().readUInt32BE(0);
  let out = "";
  for (let i = 0; i < 6; i++) {
    out = ALPHABET[n % 58] + out;
    n = Math.floor(n / 58);
  }
  return out;
}

export function assertKeyholdFormat(keys: string[]): void {
  const bad = keys.find((key) => parseKey(key) === null);
  if (bad !== undefined) throw new Error(`bench key generator produced a key Keyhold rejects: ${bad}`);
}
