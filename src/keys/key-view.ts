import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { keyPermissions, keyRoles, type keys } from "../db/schema.ts";
import type { LinkedIdentity } from "./key-identity.ts";
import { type KeyRatelimit, defaultRatelimit } from "./key-ratelimits.ts";
import { effectiveRemaining } from "./refill.ts";

/** A key's row with its live identity, joined (key-identity.ts). */
export type KeyRow = typeof keys.$inferSelect & { identity: LinkedIdentity | null };

/**
 * A key as the API shows it: Unkey v1's `Key`, plus what only v2 shows (the whole list of
 * named rate limits, lastUsedAt), which v1 routes leave out. Never the hash; `plaintext`
 * only when decrypted.
 */
export interface KeyView {
  id: string;
  start: string;
  workspaceId: string;
  apiId: string;
  name?: string;
  /** The identity's externalId: v1's name for the link. */
  ownerId?: string;
  /** The key's live identity: v1 shows {id, externalId, meta}, v2 also its rate limits. */
  identity?: { id: string; externalId: string; meta?: Record<string, unknown>; ratelimits: KeyRatelimit[] };
  meta?: Record<string, unknown>;
  createdAt: number;
  updatedAt?: number;
  expires?: number;
  remaining?: number;
  refill?: { interval: "daily" | "monthly"; amount: number; refillDay?: number; lastRefillAt?: number };
  ratelimit?: RatelimitView;
  /** Every named limit, v1's `ratelimit` (the one named "default") among them. v2 only. */
  ratelimits: KeyRatelimit[];
  /** Last successful verify, approximate (see keys.last_used_at). v2 only. */
  lastUsedAt?: number;
  roles: string[];
  permissions: string[];
  enabled: boolean;
  environment?: string;
  plaintext?: string;
}

export interface RatelimitView {
  async: boolean;
  type: "fast" | "consistent";
  limit: number;
  duration: number;
  refillRate: number;
  refillInterval: number;
}

/** The columns a view is made of: verify's record (without the ciphertext) is enough. */
export type KeyViewRow = Omit<KeyRow, "encrypted" | "encryptionKeyId">;

export function toKeyView(row: KeyViewRow, names: { permissions: string[]; roles: string[] }, now = Date.now()): KeyView {
  const remaining = effectiveRemaining(row, now);
  const v1Limit = defaultRatelimit(row.ratelimits);
  return {
    id: row.id,
    start: row.start,
    workspaceId: row.workspaceId,
    apiId: row.apiId,
    ...(row.name !== null && { name: row.name }),
    ...(row.identity && {
      ownerId: row.identity.externalId,
      identity: {
        id: row.identity.id,
        externalId: row.identity.externalId,
        ...(row.identity.meta !== null && { meta: row.identity.meta }),
        ratelimits: row.identity.ratelimits,
      },
    }),
    ...(row.meta !== null && { meta: row.meta }),
    createdAt: row.createdAt,
    ...(row.updatedAt !== null && { updatedAt: row.updatedAt }),
    ...(row.expires !== null && { expires: row.expires }),
    ...(remaining !== null && { remaining }),
    ...(row.refillInterval !== null &&
      row.refillAmount !== null && {
        refill: {
          interval: row.refillInterval,
          amount: row.refillAmount,
          ...(row.refillDay !== null && { refillDay: row.refillDay }),
          ...(row.lastRefillAt !== null && { lastRefillAt: row.lastRefillAt }),
        },
      }),
    ...(v1Limit && { ratelimit: toRatelimitView(v1Limit) }),
    ratelimits: row.ratelimits,
    ...(row.lastUsedAt !== null && { lastUsedAt: row.lastUsedAt }),
    roles: names.roles,
    permissions: names.permissions,
    enabled: row.enabled,
    ...(row.environment !== null && { environment: row.environment }),
  };
}

function toRatelimitView({ limit, duration, async = false }: KeyRatelimit): RatelimitView {
  // type/refillRate/refillInterval are Unkey's deprecated spellings, kept for old clients.
  return { async, type: async ? "fast" : "consistent", limit, duration, refillRate: limit, refillInterval: duration };
}

/** Permission and role names of many keys in two queries, for a page of listKeys. */
export async function loadKeyNames(
  db: Database,
  workspaceId: string,
  keyIds: string[],
): Promise<Map<string, { permissions: string[]; roles: string[] }>> {
  const names = new Map(keyIds.map((id) => [id, { permissions: [] as string[], roles: [] as string[] }]));
  if (keyIds.length === 0) return names;
  const [perms, roles] = await Promise.all([
    db
      .select()
      .from(keyPermissions)
      .where(and(eq(keyPermissions.workspaceId, workspaceId), inArray(keyPermissions.keyId, keyIds)))
      .orderBy(keyPermissions.name),
    db
      .select()
      .from(keyRoles)
      .where(and(eq(keyRoles.workspaceId, workspaceId), inArray(keyRoles.keyId, keyIds)))
      .orderBy(keyRoles.name),
  ]);
  for (const p of perms) names.get(p.keyId)?.permissions.push(p.name);
  for (const r of roles) names.get(r.keyId)?.roles.push(r.name);
  return names;
}
