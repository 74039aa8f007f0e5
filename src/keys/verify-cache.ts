import { RecordCache } from "../cache/record-cache.ts";
import { followChanges } from "../cache/change-notices.ts";
import type { DatabaseHandle } from "../db/client.ts";
import { jsonByteLength, utf8ByteLength } from "./storable.ts";
import type { VerifiableKey } from "./verify-key.ts";

export interface VerifyCacheOptions {
  /** Most key records kept (positive and negative entries together). */
  max: number;
  /** How long a found key is trusted without a change notice: the fallback bound. */
  ttlMs: number;
  /** How long "no such key" is trusted; keep it within the cross-instance bound (1 s). */
  negativeTtlMs: number;
  /** Most estimated bytes kept (see keyBytes): a few keys with large meta or many names must not fill memory. */
  maxBytes: number;
}

/** A record's fixed cost: the hash (its cache key), the row's scalar columns, the objects around them. */
const ENTRY_OVERHEAD_BYTES = 1024;

/** An estimate of what a cached key holds in memory: fixed overhead plus its variable-length parts. */
export function keyBytes(key: VerifiableKey | null): number {
  if (!key) return ENTRY_OVERHEAD_BYTES;
  let bytes = ENTRY_OVERHEAD_BYTES + jsonByteLength(key.meta ?? undefined) + (key.identity ? jsonByteLength(key.identity) : 0);
  for (const s of [key.name, key.environment, ...key.permissions, ...key.roles]) if (s) bytes += utf8ByteLength(s) + 16;
  return bytes;
}

/**
 * Key records by hash for verifyKey, "no such key" included briefly. Credits and rate
 * limits are never served from here: they are spent in the database.
 */
export class VerifyCache extends RecordCache<VerifiableKey> {
  constructor(options: VerifyCacheOptions) {
    super({ ...options, sizeOf: keyBytes });
  }

  forgetKey(keyId: string): void {
    this.forgetId(keyId);
  }

  /** Drops every cached key of an identity, named by its id or externalId (after updateIdentity / deleteIdentity). */
  forgetIdentity(workspaceId: string, ref: string): void {
    this.forgetWhere((key) => key.identity !== null && key.workspaceId === workspaceId && (key.identity.id === ref || key.identity.externalId === ref));
  }

  /** Drops every cached key of an API (after deleteApi / deleteKeys). */
  forgetApi(apiId: string): void {
    this.forgetWhere((key) => key.apiId === apiId);
  }
}

export const KEY_CHANGES_CHANNEL = "keyhold_keys";

/** The triggers of drizzle/0001 announce every verify-relevant change of a key, on any instance. */
export function subscribeToKeyChanges(handle: Pick<DatabaseHandle, "listen">, cache: VerifyCache): Promise<() => Promise<void>> {
  return followChanges(handle, KEY_CHANGES_CHANNEL, cache);
}
