import { type SQL, and, eq, gt, inArray, isNotNull, isNull, lte, or } from "drizzle-orm";
import { recordAudit } from "../audit/append.ts";
import { hasPermission, portalPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import { sha256Hex } from "../crypto/hash.ts";
import { randomBytes } from "../crypto/random.ts";
import type { Database } from "../db/client.ts";
import { apis, identities, portalSessions, portals, rootKeys, workspaces } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { findIdentity } from "../identities/identities.ts";
import { newId } from "../ids.ts";
import { findPortal, portalNotFound } from "./portals.ts";
import { type PortalScope, type ScopedApi, isPortalScope, scopePermissions, sessionPermissions } from "./scopes.ts";

/**
 * Portal sessions, Unkey v2's flow: a root key mints a session for one end user (an identity)
 * and gets a URL with a single-use code; whoever holds the code exchanges it, once, for an
 * access token; the token is the session. Code and token are stored only as SHA-256 hashes and
 * looked up by them; a session dies with its portal, its identity or the root key that minted it.
 */

/** How long a code can be exchanged. */
export const PORTAL_CODE_TTL_MS = 5 * 60 * 1000;
/** How long an access token lasts once exchanged. */
export const PORTAL_SESSION_TTL_MS = 60 * 60 * 1000;
/** Where the hosted portal page answers (src/api/portal-page/): a session's URL leads there with its code. */
export const PORTAL_PAGE_PATH = "/portal";

export interface CreateSessionInput {
  portal: string;
  externalId: string;
  scopes: PortalScope[];
  preview?: boolean;
  returnUrl?: string;
}

export interface CreatedSession {
  id: string;
  url: string;
  code: string;
  expiresAt: number;
}

/** 256 random bits, URL-safe. */
const secret = () => Buffer.from(randomBytes(32)).toString("base64url");

/**
 * Mints a session. Missing `portal.<portal>.create_portal_session` answers 404 like a missing
 * portal (Unkey's rule: a caller who may not mint for a portal is not told it exists); every
 * scope then needs its own permissions on every API of the portal (403 naming the first
 * missing), so a session never carries more than the root key could do itself.
 */
export async function createSession(db: Database, ctx: RootKeyContext, input: CreateSessionInput, baseUrl: string, now = Date.now()): Promise<CreatedSession> {
  if (!hasPermission(ctx.permissions, portalPermission(input.portal, "create_portal_session"))) throw portalNotFound();
  const portal = await findPortal(db, ctx.workspaceId, input.portal);
  const identity = await findIdentity(db, ctx.workspaceId, { externalId: input.externalId });
  const scopes = [...new Set(input.scopes)];
  for (const permission of scopePermissions(scopes, await liveApis(db, ctx.workspaceId, portal.apiIds))) requirePermission(ctx, permission);
  const code = secret();
  const id = newId("pss", now);
  const expiresAt = now + PORTAL_CODE_TTL_MS;
  await db.transaction(async (tx) => {
    await tx.insert(portalSessions).values({
      id,
      workspaceId: ctx.workspaceId,
      portalId: portal.id,
      identityId: identity.id,
      externalId: identity.externalId,
      scopes,
      preview: input.preview ?? false,
      returnUrl: input.returnUrl ?? null,
      rootKeyId: ctx.rootKeyId,
      userId: ctx.userId,
      codeHash: sha256Hex(code),
      codeExpiresAt: expiresAt,
      createdAt: now,
    });
    await recordAudit(tx, {
      workspaceId: ctx.workspaceId,
      event: "portal.session_created",
      userId: ctx.userId,
      rootKeyId: ctx.rootKeyId,
      details: { portalId: portal.id, sessionId: id, identityId: identity.id, externalId: identity.externalId, scopes, preview: input.preview ?? false },
    });
  });
  const url = new URL(PORTAL_PAGE_PATH, baseUrl);
  url.searchParams.set("code", code);
  return { id, url: url.toString(), code, expiresAt };
}

/** One answer for every code that cannot be exchanged: unknown, expired or used, alike. */
const badCode = () => new KeyholdError("UNAUTHORIZED", "The code is invalid, expired or already used.");

/**
 * Exchanges a code for an access token, once: one conditional UPDATE takes the code and sets
 * the token, so of two exchanges at once exactly one finds the code.
 */
export async function exchangeCode(db: Database, code: string, now = Date.now()): Promise<{ accessToken: string; expiresAt: number; sessionId: string }> {
  const accessToken = `pts_${secret()}`;
  const expiresAt = now + PORTAL_SESSION_TTL_MS;
  const [row] = await db
    .update(portalSessions)
    .set({ codeHash: null, tokenHash: sha256Hex(accessToken), expiresAt })
    .where(and(eq(portalSessions.codeHash, sha256Hex(code)), gt(portalSessions.codeExpiresAt, now), isNull(portalSessions.tokenHash)))
    .returning({ id: portalSessions.id });
  if (!row) throw badCode();
  return { accessToken, expiresAt, sessionId: row.id };
}

/** A live session, as each call sees it: who, what for, and the root-key context it acts with. */
export interface PortalSession {
  id: string;
  workspaceId: string;
  portalId: string;
  identityId: string;
  externalId: string;
  scopes: PortalScope[];
  /**
   * A provider trying the portal out (createSession `preview: true`): it reads like any
   * session, and every change or reveal is refused (refuseInPreview).
   */
  preview: boolean;
  /** The portal's live APIs, sorted. */
  apiIds: string[];
  returnUrl: string | null;
  expiresAt: number;
  /**
   * The session as a root key: the minting root key's id and user (the trail names them, with
   * the session), holding only what the scopes stand for and the root key still holds.
   */
  ctx: RootKeyContext;
}

const badSession = () => new KeyholdError("UNAUTHORIZED", "The portal session is missing, invalid or expired.");

/**
 * The session an access token opens, or 401: unknown, expired, or whose portal, identity,
 * minting root key or workspace is gone.
 */
export async function authenticateSession(db: Database, token: string | undefined, now = Date.now()): Promise<PortalSession> {
  if (!token?.startsWith("pts_") || token.length > 128) throw badSession();
  const session = await liveSession(db, eq(portalSessions.tokenHash, sha256Hex(token)), now);
  if (!session) throw badSession();
  return session;
}

/**
 * The session with this id, if it is still live by the same rules as its token (a held portal
 * activity runs with it, long after the request that named it); null once it has ended.
 */
export function findLiveSession(db: Database, workspaceId: string, sessionId: string, now = Date.now()): Promise<PortalSession | null> {
  return liveSession(db, and(eq(portalSessions.id, sessionId), eq(portalSessions.workspaceId, workspaceId))!, now);
}

async function liveSession(db: Database, which: SQL, now: number): Promise<PortalSession | null> {
  const [row] = await db
    .select({
      session: portalSessions,
      apiIds: portals.apiIds,
      permissions: rootKeys.permissions,
      rootKeyExpires: rootKeys.expires,
    })
    .from(portalSessions)
    .innerJoin(portals, eq(portals.id, portalSessions.portalId))
    .innerJoin(rootKeys, and(eq(rootKeys.id, portalSessions.rootKeyId), isNull(rootKeys.deletedAt)))
    .innerJoin(workspaces, and(eq(workspaces.id, portalSessions.workspaceId), isNull(workspaces.deletedAt)))
    .innerJoin(identities, and(eq(identities.id, portalSessions.identityId), isNull(identities.deletedAt)))
    .where(and(which, isNotNull(portalSessions.tokenHash), gt(portalSessions.expiresAt, now)))
    .limit(1);
  if (!row || (row.rootKeyExpires !== null && row.rootKeyExpires <= now)) return null;
  const { session } = row;
  const live = await liveApis(db, session.workspaceId, row.apiIds);
  const scopes = session.scopes.filter(isPortalScope);
  return {
    id: session.id,
    workspaceId: session.workspaceId,
    portalId: session.portalId,
    identityId: session.identityId,
    externalId: session.externalId,
    scopes,
    preview: session.preview,
    apiIds: live.map((a) => a.id).sort(),
    returnUrl: session.returnUrl,
    expiresAt: session.expiresAt!,
    ctx: {
      rootKeyId: session.rootKeyId,
      workspaceId: session.workspaceId,
      userId: session.userId,
      permissions: sessionPermissions(scopes, live, row.permissions),
      expires: row.rootKeyExpires,
    },
  };
}

/** 403 unless the session was granted `scope`: the same answer whatever the request names. */
export function requireScope(session: PortalSession, scope: PortalScope): void {
  if (!session.scopes.includes(scope)) throw new KeyholdError("INSUFFICIENT_PERMISSIONS", `The portal session lacks the scope ${scope}.`);
}

/** 403 for a preview session: it shows the portal as the end user would see it, and changes and reveals nothing. */
export function refuseInPreview(session: PortalSession): void {
  if (session.preview) throw new KeyholdError("FORBIDDEN", "preview session: nothing is changed or revealed.");
}

/** Who a code would sign in as, without using it: the hosted page asks before it replaces a live session. */
export interface PendingSession {
  workspaceId: string;
  portalId: string;
  identityId: string;
  externalId: string;
}

/** The session a code opens if it is exchanged now; the 401 of exchangeCode for any code that cannot be. */
export async function peekCode(db: Database, code: string, now = Date.now()): Promise<PendingSession> {
  const [row] = await db
    .select({ workspaceId: portalSessions.workspaceId, portalId: portalSessions.portalId, identityId: portalSessions.identityId, externalId: portalSessions.externalId })
    .from(portalSessions)
    .where(and(eq(portalSessions.codeHash, sha256Hex(code)), gt(portalSessions.codeExpiresAt, now), isNull(portalSessions.tokenHash)))
    .limit(1);
  if (!row) throw badCode();
  return row;
}

async function liveApis(db: Database, workspaceId: string, apiIds: readonly string[]): Promise<ScopedApi[]> {
  if (apiIds.length === 0) return [];
  return db
    .select({ id: apis.id, recoveryEnabled: apis.recoveryEnabled })
    .from(apis)
    .where(and(eq(apis.workspaceId, workspaceId), isNull(apis.deletedAt), inArray(apis.id, [...apiIds])));
}

/** Drops codes that were never exchanged in time and sessions that ended (run by `keyhold serve`). */
export async function deleteExpiredPortalSessions(db: Database, now = Date.now()): Promise<number> {
  const gone = await db
    .delete(portalSessions)
    .where(or(and(isNull(portalSessions.tokenHash), lte(portalSessions.codeExpiresAt, now)), and(isNotNull(portalSessions.expiresAt), lte(portalSessions.expiresAt, now))))
    .returning({ id: portalSessions.id });
  return gone.length;
}
