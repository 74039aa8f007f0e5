import { base58Fixed } from "./crypto/encoding.ts";
import { randomBytes } from "./crypto/random.ts";

const WIDTH = 22; // 58^22 > 2^128

/** The last id issued by this process, so ids of one millisecond still increase. */
let last = 0n;

export type IdPrefix = "ws" | "api" | "key" | "rk" | "dek" | "pol" | "act" | "rl";

/**
 * `<prefix>_<22 base58 chars>` from 48 bits of milliseconds and 80 random bits.
 * Fixed width and ASCII-ordered digits make ids sort by creation time, which gives
 * listKeys a stable, meaningful cursor order.
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  let n = BigInt(now) & 0xffff_ffff_ffffn;
  for (const byte of randomBytes(10)) n = (n << 8n) | BigInt(byte);
  // Random bits alone would order ids of the same millisecond arbitrarily: keep them increasing.
  if (n >> 80n === last >> 80n && n <= last) n = last + 1n;
  last = n;
  return `${prefix}_${base58Fixed(n, WIDTH)}`;
}

/**
 * `req_<32 hex chars>`: request ids need to be unique, not sortable, and are made on the
 * hot path, where randomUUID's pooled entropy is several times cheaper than newId.
 */
export function newRequestId(): string {
  return `req_${crypto.randomUUID().replaceAll("-", "")}`;
}
