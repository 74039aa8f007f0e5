import type { Database } from "../db/client.ts";
import { KeyholdError, notFound } from "../errors.ts";
import type { KeyView } from "../keys/key-view.ts";
import { findKey, getKey, listKeys } from "../keys/read-keys.ts";
import { rerollKey } from "../keys/reroll-key.ts";
import { MAX_LIST_LIMIT } from "../paging.ts";
import type { VaultClient } from "../vault-client/vault-client.ts";
import type { PortalScope } from "./scopes.ts";
import { type PortalSession, requireScope } from "./sessions.ts";

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
  await requireOwnKey(db, session, input.keyId);
  return rerollKey(db, vault, session.ctx, input);
}

/**
 * The plaintext of the session's own recoverable key, as getKey with decrypt=true reads it.
 * A key that was never stored recoverably is a 412 that says so.
 */
export async function revealPortalKey(db: Database, vault: VaultClient | null, session: PortalSession, keyId: string): Promise<{ keyId: string; plaintext: string }> {
  requireScope(session, "keys:reveal");
  await requireOwnKey(db, session, keyId);
  const key = await getKey(db, vault, session.ctx, { keyId, decrypt: true });
  if (key.plaintext === undefined) throw new KeyholdError("PRECONDITION_FAILED", "The key is not recoverable: its plaintext was never stored. Reroll it for a new one.");
  return { keyId: key.id, plaintext: key.plaintext };
}

const SCOPE_OF: Record<string, PortalScope> = { "portal.rerollKey": "keys:reroll", "portal.revealKey": "keys:reveal" };

/**
 * What the activity layer checks of a portal call before it weighs policies (so that no
 * policy's answer can tell an end user anything about a key that is not theirs), and the
 * params the activity records: the request, plus which portal, session and identity made it.
 */
export async function admitPortalActivity(db: Database, session: PortalSession, operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const scope = SCOPE_OF[operation];
  if (scope) requireScope(session, scope);
  if (typeof input.keyId === "string") await requireOwnKey(db, session, input.keyId);
  return { ...input, portalId: session.portalId, portalSessionId: session.id, externalId: session.externalId };
}
