import { base58 } from "@scure/base";
import { sha256Hex } from "../crypto/hash.ts";
import { randomBytes } from "../crypto/random.ts";
import { base58Fixed } from "../crypto/encoding.ts";
import { constantTimeEqual } from "../crypto/subtle.ts";

/**
 * Key format: `<prefix>_<body><check>` (or `<body><check>` without a prefix).
 * body  = base58 of `byteLength` CSPRNG bytes;
 * check = 6 base58 chars of the first 32 bits of SHA-256(prefix_ + body).
 * The checksum lets verify reject a mistyped or made-up key without a database
 * read, and gives secret scanners a way to tell real keys from lookalikes.
 */
export const ROOT_KEY_PREFIX = "kh_root";
export const DEFAULT_BYTE_LENGTH = 16;
export const MIN_BYTE_LENGTH = 16;
export const MAX_BYTE_LENGTH = 255;
export const PREFIX_PATTERN = /^[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*$/;
export const MAX_PREFIX_LENGTH = 16;
/** Longest key we ever produce: prefix, separator, base58 of 255 bytes, checksum. */
export const MAX_KEY_LENGTH = MAX_PREFIX_LENGTH + 1 + 349 + 6;

const CHECK_LENGTH = 6;
const BASE58_BODY = /^[1-9A-HJ-NP-Za-km-z]+$/;

export interface GenerateKeyOptions {
  prefix?: string;
  byteLength?: number;
}

export function generateKey({ prefix, byteLength = DEFAULT_BYTE_LENGTH }: GenerateKeyOptions = {}): string {
  if (!Number.isInteger(byteLength) || byteLength < MIN_BYTE_LENGTH || byteLength > MAX_BYTE_LENGTH) {
    throw new RangeError(`byteLength must be an integer from ${MIN_BYTE_LENGTH} to ${MAX_BYTE_LENGTH}`);
  }
  if (prefix !== undefined && !isValidPrefix(prefix)) throw new RangeError("invalid key prefix");
  const head = prefix ? `${prefix}_` : "";
  const body = base58.encode(randomBytes(byteLength));
  return `${head}${body}${checksum(head, body)}`;
}

export function isValidPrefix(prefix: string): boolean {
  return prefix.length <= MAX_PREFIX_LENGTH && PREFIX_PATTERN.test(prefix);
}

export interface ParsedKey {
  prefix: string | undefined;
  body: string;
}

/** The key's parts if it is well formed and its checksum matches; otherwise null. */
export function parseKey(key: string): ParsedKey | null {
  if (key.length > MAX_KEY_LENGTH) return null;
  const cut = key.lastIndexOf("_");
  const prefix = cut === -1 ? undefined : key.slice(0, cut);
  if (prefix !== undefined && !isValidPrefix(prefix)) return null;
  const rest = key.slice(cut + 1);
  if (rest.length <= CHECK_LENGTH || !BASE58_BODY.test(rest)) return null;
  const body = rest.slice(0, -CHECK_LENGTH);
  const head = prefix === undefined ? "" : `${prefix}_`;
  if (!constantTimeEqual(rest.slice(-CHECK_LENGTH), checksum(head, body))) return null;
  return { prefix, body };
}

/** Enough to recognise a key in a list, never enough to guess it: prefix and 4 characters. */
export function keyStart(key: string): string {
  const cut = key.lastIndexOf("_");
  return key.slice(0, cut + 1 + 4);
}

/**
 * The prefix a key's `start` shows (the text before its last `_`), if it is one Keyhold can
 * issue keys with: rerollKey keeps it. Keyhold's starts are `prefix_` + 4 base58 characters;
 * an imported key's start is whatever its exporter sent, so it is checked, not trusted.
 */
export function prefixOfStart(start: string): string | undefined {
  const prefix = start.slice(0, Math.max(start.lastIndexOf("_"), 0));
  return prefix !== "" && isValidPrefix(prefix) && !prefix.startsWith(ROOT_KEY_PREFIX) ? prefix : undefined;
}

function checksum(head: string, body: string): string {
  // The first 32 bits, from the hex digest: the one-shot hash's fastest output (src/crypto/hash.ts).
  const first32 = Number.parseInt(sha256Hex(head + body).slice(0, 8), 16);
  return base58Fixed(first32, CHECK_LENGTH);
}
