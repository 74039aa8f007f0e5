import { canonicalJson } from "../crypto/canonical-json.ts";
import { sha256Hex } from "../crypto/hash.ts";
import { jsonbSafe } from "../db/jsonb-safe.ts";
import { redactSecrets } from "../redact.ts";
export { REDACTED } from "../redact.ts";

/**
 * One entry of a workspace's audit chain. `hash` = SHA-256 (hex) of the canonical JSON of every
 * other field but `seq` and `prevHash`, followed by `prevHash`: the chain's order is bound by
 * that link (an entry moved to another place no longer follows its predecessor's hash), and
 * `seq` is only its index.
 */
export interface AuditEntry {
  workspaceId: string;
  seq: number;
  id: string;
  at: number;
  event: string;
  activityId: string | null;
  activityType: string | null;
  userId: string | null;
  rootKeyId: string | null;
  apiId: string | null;
  keyId: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** The previous hash of a chain's first entry. */
export const GENESIS_HASH = "0".repeat(64);

export function hashEntry(entry: Omit<AuditEntry, "hash" | "seq">): string {
  return sha256Hex(entryContent(entry) + entry.prevHash);
}

/** What an entry's hash covers before its link: its fields but seq and the hashes, as canonical JSON. */
export function entryContent(entry: Omit<AuditEntry, "hash" | "seq" | "prevHash">): string {
  const { workspaceId, id, at, event, activityId, activityType, userId, rootKeyId, apiId, keyId, details } = entry;
  return canonicalJson({ workspaceId, id, at, event, activityId, activityType, userId, rootKeyId, apiId, keyId, details });
}

/**
 * `details` as it is stored and hashed: secret-looking fields at any depth replaced by
 * "[redacted]" (a caller's slip must not put a key into a trail nobody may edit), and the
 * value as JSON gives it back (what jsonb returns, so the stored entry hashes the same).
 */
export function storableDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (details === undefined) return {};
  return JSON.parse(JSON.stringify(jsonbSafe(redactSecrets(details)))) as Record<string, unknown>;
}
