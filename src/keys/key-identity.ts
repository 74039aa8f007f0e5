import { and, eq, isNull } from "drizzle-orm";
import { identities, keys } from "../db/schema.ts";
import type { KeyRatelimit } from "./key-ratelimits.ts";

/**
 * A key's identity as every read of a key carries it: joined beside the key's row (one
 * query, no second round trip), and only while the identity is live, so a deleted identity's
 * keys read as keys without one (Unkey's LEFT JOIN … AND deleted = false).
 */
export interface LinkedIdentity {
  id: string;
  externalId: string;
  meta: Record<string, unknown> | null;
  ratelimits: KeyRatelimit[];
}

/** The join condition: `leftJoin(identities, liveIdentityOfKey)`. */
export const liveIdentityOfKey = and(eq(identities.id, keys.identityId), isNull(identities.deletedAt));

/** The selected columns: `identity` is null when the key has no live identity. */
export function linkedIdentityColumns() {
  return {
    identity: { id: identities.id, externalId: identities.externalId, meta: identities.meta, ratelimits: identities.ratelimits },
  };
}
