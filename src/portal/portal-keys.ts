import { and, count, eq, gt, isNull, or } from "drizzle-orm";
import { findApi } from "../apis/apis.ts";
import type { Database } from "../db/client.ts";
import { keys } from "../db/schema.ts";
import { KeyholdError, notFound } from "../errors.ts";
import { findIdentity } from "../identities/identities.ts";
import { createKey } from "../keys/create-key.ts";
import type { KeyView } from "../keys/key-view.ts";
import { findKey, getKey, listKeys } from "../keys/read-keys.ts";
import { rerollKey } from "../keys/reroll-key.ts";
import { MAX_LIST_LIMIT } from "../paging.ts";
import type { VaultClient } from "../vault-client/vault-client.ts";
import type { PortalScope } from "./scopes.ts";
import { type PortalSession, refuseInPreview, requireScope } from "./sessions.ts";

/**
 * What an end user does with their own keys through a portal session: the admin services
 * themselves (read-keys.ts, reroll-key.ts), called with the session's context, after the one
 * check that is the portal's own: the key is the session identity's, in one of the portal's
 * APIs. Any other key (another identity's, another API's, another workspace's) is NOT_FOUND,
 * the very error a missing key gets.
 */

/** The key, if it is the session's; NOT_FOUND exactly as a missing key otherwise. */
export async function requireOwnKey(db: Database, session: PortalSession, keyId: string): Promise<void> {
  const row = await findKey(db, session.workspaceId, keyId);
  if (row.identityId !== session.identityId || !session.apiIds.includes(row.apiId)) throw notFound("key");
}

/**
 * One page of the identity's keys across the portal's APIs (in API id, then key id order).
 * The cursor is `<apiId>:<keyId>` (or `<apiId>:` for the start of an API), opaque to clients.
 */
export async function listPortalKeys(
  db: Database,
  vault: VaultClient | null,
  session: PortalSession,
  input: { limit?: number; cursor?: string; apiId?: string },
): Promise<{ keys: KeyView[]; cursor?: string }> {
  requireScope(session, "keys:read");
  // `apiId` keeps one of the portal's APIs (a playground wants the key of the API it documents);
  // any other API is a 404 like a missing one.
  if (input.apiId !== undefined && !session.apiIds.includes(input.apiId)) throw notFound("api");
  const apiIds = input.apiId !== undefined ? [input.apiId] : session.apiIds;
  let limit = input.limit ?? MAX_LIST_LIMIT;
  const [fromApi, fromKey] = parseCursor(apiIds, input.cursor);
  const out: KeyView[] = [];
  for (let i = apiIds.indexOf(fromApi ?? apiIds[0]!); i >= 0 && i < apiIds.length; i++) {
    const apiId = apiIds[i]!;
    const cursor = apiId === fromApi && fromKey ? fromKey : undefined;
    const page = await listKeys(db, vault, session.ctx, { apiId, limit, cursor, ownerId: session.externalId });
    out.push(...page.keys);
    limit -= page.keys.length;
    if (page.cursor !== undefined) return { keys: out, cursor: `${apiId}:${page.cursor}` };
    const next = apiIds[i + 1];
    if (limit <= 0 && next !== undefined) return { keys: out, cursor: `${next}:` };
  }
  return { keys: out };
}

function parseCursor(apiIds: readonly string[], cursor: string | undefined): [string | undefined, string | undefined] {
  if (cursor === undefined) return [undefined, undefined];
  const at = cursor.indexOf(":");
  const apiId = cursor.slice(0, at);
  if (at < 0 || !apiIds.includes(apiId)) throw new KeyholdError("BAD_REQUEST", "cursor is not one this portal session answered.");
  return [apiId, cursor.slice(at + 1) || undefined];
}

/** keys.rerollKey, for the session's own key; the old key keeps working for `expiration` ms. */
export async function rerollPortalKey(
  db: Database,
  vault: VaultClient | null,
  session: PortalSession,
  input: { keyId: string; expiration: number },
): Promise<{ keyId: string; key: string }> {
  requireScope(session, "keys:reroll");
  refuseInPreview(session);
  await requireOwnKey(db, session, input.keyId);
  return rerollKey(db, vault, session.ctx, input);
}

/**
 * The plaintext of the session's own recoverable key, as getKey with decrypt=true reads it.
 * A key that was never stored recoverably is a 412 that says so.
 */
export async function revealPortalKey(db: Database, vault: VaultClient | null, session: PortalSession, keyId: string): Promise<{ keyId: string; plaintext: string }> {
  requireScope(session, "keys:reveal");
  refuseInPreview(session);
  await requireOwnKey(db, session, keyId);
  const key = await getKey(db, vault, session.ctx, { keyId, decrypt: true });
  if (key.plaintext === undefined) throw new KeyholdError("PRECONDITION_FAILED", "The key is not recoverable: its plaintext was never stored. Reroll it for a new one.");
  return { keyId: key.id, plaintext: key.plaintext };
}

/**
 * The most live keys (not deleted, not expired) an identity may hold in one API for a portal
 * session to create another: a session, however long it is used, cannot mint without bound.
 * The provider's own keys.createKey is not bound by it.
 */
export const MAX_PORTAL_KEYS_PER_API = 25;

/**
 * keys.createKey for the session identity, in one of the portal's APIs (any other is a 404
 * like a missing API): a key of the identity's own, recoverable where the API stores keys
 * recoverably (so the end user can reveal it later), with Keyhold's default prefix and length
 * and no other settings. Refused (412) once the identity holds MAX_PORTAL_KEYS_PER_API live
 * keys there, counted again under a lock on the identity's row in the key's own transaction,
 * so concurrent creates cannot pass the bound together.
 */
export async function createPortalKey(
  db: Database,
  vault: VaultClient | null,
  session: PortalSession,
  input: { apiId: string; name?: string },
): Promise<{ keyId: string; key: string }> {
  requireScope(session, "keys:create");
  refuseInPreview(session);
  if (!session.apiIds.includes(input.apiId)) throw notFound("api");
  const api = await findApi(db, session.workspaceId, input.apiId);
  // Checked first without a lock too: a session at the bound costs no vault call.
  await requireRoomForKey(db, session, api.id, 0);
  const underLock = async (tx: Database) => {
    await findIdentity(tx, session.workspaceId, { identityId: session.identityId }, true);
    await requireRoomForKey(tx, session, api.id, 1); // the new key is written by now
  };
  const settings = { apiId: api.id, name: input.name, ownerId: session.externalId, recoverable: api.recoveryEnabled };
  return createKey(db, vault, session.ctx, settings, underLock);
}

async function requireRoomForKey(db: Database, session: PortalSession, apiId: string, written: number, now = Date.now()): Promise<void> {
  const [held] = await db
    .select({ n: count() })
    .from(keys)
    .where(
      and(
        eq(keys.identityId, session.identityId),
        eq(keys.workspaceId, session.workspaceId),
        eq(keys.apiId, apiId),
        isNull(keys.deletedAt),
        or(isNull(keys.expires), gt(keys.expires, now)),
      ),
    );
  if ((held?.n ?? 0) - written >= MAX_PORTAL_KEYS_PER_API) {
    throw new KeyholdError(
      "PRECONDITION_FAILED",
      `You already hold ${MAX_PORTAL_KEYS_PER_API} live keys in this API, as many as the portal lets you have: reroll one instead, or ask the provider to delete one you no longer use.`,
    );
  }
}

const SCOPE_OF: Record<string, PortalScope> = { "portal.createKey": "keys:create", "portal.rerollKey": "keys:reroll", "portal.revealKey": "keys:reveal" };

/**
 * What the activity layer checks of a portal call before it weighs policies (so that no
 * policy's answer can tell an end user anything about a key that is not theirs), and the
 * params the activity records: the request, plus which portal, session and identity made it.
 */
export async function admitPortalActivity(db: Database, session: PortalSession, operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const scope = SCOPE_OF[operation];
  if (scope) requireScope(session, scope);
  // Every portal activity changes or reveals something: a preview session is refused before any policy is weighed.
  refuseInPreview(session);
  if (typeof input.keyId === "string") await requireOwnKey(db, session, input.keyId);
  if (typeof input.apiId === "string" && !session.apiIds.includes(input.apiId)) throw notFound("api");
  return { ...input, portalId: session.portalId, portalSessionId: session.id, externalId: session.externalId };
}
