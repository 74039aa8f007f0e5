import { and, eq, isNull, sql } from "drizzle-orm";
import type { RootKeyContext } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { keys } from "../db/schema.ts";
import { notFound } from "../errors.ts";
import type { VaultClient } from "../vault-client/vault-client.ts";
import { findIssuableApi, issueKey } from "./create-key.ts";
import { prefixOfStart } from "./key-format.ts";
import { replaceRatelimits } from "./key-ratelimits.ts";
import type { KeyColumns } from "./key-settings.ts";
import type { KeyRow } from "./key-view.ts";
import { findKeyAndNames } from "./read-keys.ts";

/** Unkey's bound on `expiration`: a grace period of up to 4,102,444,800,000 ms. */
export const MAX_REROLL_EXPIRATION_MS = 4_102_444_800_000;

/**
 * Replaces a key: a new secret with the old key's settings, permissions, roles and
 * recoverability, in the same API and with the same prefix (Keyhold's default length: the old
 * key's length is not stored). The old key keeps working for `expiration` ms and then answers
 * EXPIRED; an expiry it already had that comes sooner stays. `expiration: 0` expires it now
 * (Unkey expires rather than deletes it, so it can still be read and audited).
 *
 * Unkey rounds the old key's expiry up to the next full minute; Keyhold keeps the exact time asked for.
 */
export async function rerollKey(
  db: Database,
  vault: VaultClient | null,
  ctx: RootKeyContext,
  input: { keyId: string; expiration: number },
): Promise<{ keyId: string; key: string }> {
  const old = await findKeyAndNames(db, ctx.workspaceId, input.keyId);
  const recoverable = old.encrypted !== null;
  const api = await findIssuableApi(db, ctx, old.apiId, recoverable);
  return issueKey(
    db,
    vault,
    ctx,
    { api, columns: copiedSettings(old), names: { permissions: old.permissions, roles: old.roles }, prefix: prefixOfStart(old.start), recoverable },
    async (tx) => {
      // Timed from the write, so that the grace period is never shorter than asked for.
      const now = Date.now();
      const until = now + input.expiration;
      const [expired] = await tx
        .update(keys)
        .set({ expires: sql`least(coalesce(${keys.expires}, ${until}::bigint), ${until}::bigint)`, updatedAt: now })
        .where(and(eq(keys.id, old.id), eq(keys.workspaceId, ctx.workspaceId), isNull(keys.deletedAt)))
        .returning({ id: keys.id });
      if (!expired) throw notFound("key"); // deleted meanwhile: the new key goes with the rollback
    },
  );
}

/**
 * The old key's settings as they stand, already checked when they were set. Credits are copied
 * with the refill clock, so a refill that is due on the old key is due on the new one too; the
 * rate limits get new ids and fresh windows (Unkey does the same).
 */
function copiedSettings(old: KeyRow): KeyColumns {
  return {
    name: old.name,
    identityId: old.identityId,
    meta: old.meta,
    environment: old.environment,
    enabled: old.enabled,
    expires: old.expires,
    remaining: old.remaining,
    refillInterval: old.refillInterval,
    refillAmount: old.refillAmount,
    refillDay: old.refillDay,
    lastRefillAt: old.refillInterval === null ? null : (old.lastRefillAt ?? old.createdAt),
    ratelimits: replaceRatelimits([], old.ratelimits),
  };
}
