import { base58Fixed } from "./crypto/encoding.ts";
import { sha256Bytes } from "./crypto/hash.ts";
import { randomBytes } from "./crypto/random.ts";

const WIDTH = 22; // 58^22 > 2^128

/** The last id issued by this process, so ids of one millisecond still increase. */
let last = 0n;

export type IdPrefix = "ws" | "api" | "key" | "rk" | "dek" | "pol" | "act" | "rl" | "rlns" | "rlor" | "id" | "usr" | "aud" | "esc" | "ptl" | "pss";

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

/** Entities Keyhold knows by name only, whose v2 shape still needs an id. */
export type DerivedIdPrefix = "perm" | "role" | "id" | "usr";

/**
 * A stable id for something Keyhold stores as a name, not an entity: a key's permission or
 * role, an owner (v2's identity). Unkey v2 answers `Permission {id, name, slug}`, `Role {id,
 * name}`; Keyhold has no such rows yet (workspace-level permissions and roles come later),
 * so the id is computed, not stored:
 * `<prefix>_` + 22 base58 digits of the first 128 bits of SHA-256(workspaceId NUL name).
 * The same name in the same workspace always has the same id, and ids of different
 * workspaces never meet. Entities introduced later must adopt these ids for existing names:
 * identities did (drizzle/0006 gave each existing owner the `id_` id v2 had answered for it;
 * identities made since get `newId("id")`). drizzle/0009 names the first user ("Owner") it gives
 * each workspace holding root keys `derivedId("usr", workspace, "Owner")`.
 */
export function derivedId(prefix: DerivedIdPrefix, workspaceId: string, name: string): string {
  const digest = sha256Bytes(new TextEncoder().encode(`${workspaceId}\u0000${name}`));
  let n = 0n;
  for (const byte of digest.subarray(0, 16)) n = (n << 8n) | BigInt(byte);
  return `${prefix}_${base58Fixed(n, WIDTH)}`;
}
