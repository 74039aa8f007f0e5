import { randomBytes } from "node:crypto";

/**
 * Key ids in the format of src/ids.ts (`key_` + 22 base58 digits of 48 bits of
 * milliseconds and 80 increasing bits), without BigInt: a million in well under a second.
 * Ids of one batch share a random 80-bit start and count up, so they sort in insertion order.
 */
const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

export function generateIds(prefix: string, count: number, now = Date.now()): string[] {
  const random = randomBytes(10);
  // 128 bits as four 32-bit limbs, most significant first: 48 bits of ms, then 80 random bits.
  const limbs = [
    Math.floor(now / 0x10000) >>> 0,
    (((now % 0x10000) << 16) | (random.readUInt16BE(0) & 0x7fff)) >>> 0, // top random bit clear: headroom to count up
    random.readUInt32BE(2),
    random.readUInt32BE(6),
  ];
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = `${prefix}_${encode22(limbs)}`;
    increment(limbs);
  }
  return out;
}

function increment(limbs: number[]): void {
  for (let i = limbs.length - 1; i >= 0; i--) {
    limbs[i] = (limbs[i]! + 1) >>> 0;
    if (limbs[i] !== 0) return;
  }
}

function encode22(limbs: number[]): string {
  const n = limbs.slice();
  let out = "";
  for (let digit = 0; digit < 22; digit++) {
    let remainder = 0;
    for (let i = 0; i < n.length; i++) {
      const value = remainder * 0x1_0000_0000 + n[i]!;
      n[i] = Math.floor(value / 58);
      remainder = value % 58;
    }
    out = ALPHABET[remainder] + out;
  }
  return out;
}
