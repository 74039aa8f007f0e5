import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { bearerToken } from "../../bearer.ts";
import { KeyholdError } from "../../errors.ts";
import { type PortalSession, authenticateSession } from "../../portal/sessions.ts";
import type { AppEnv } from "../env.ts";

/**
 * How a portal session reaches its routes: the `portal_session` cookie exchangeCode sets (for
 * the browser), or the access token as a bearer (for servers and scripts). The cookie is
 * HttpOnly, SameSite=Strict, Secure unless the page is on loopback (with KEYHOLD_PUBLIC_URL: when
 * that is https), and set twice with the same value: Path=/v2 for the page's calls (cookie paths
 * cannot name `/v2/portal.*` alone; other `/v2` routes ignore it) and Path=/portal for the hosted
 * page itself. Two narrow paths rather than one Path=/ that every route of the origin would receive.
 */
export const PORTAL_COOKIE = "portal_session";
// /v2 last: clients that keep one Set-Cookie per response (the SDK's header record) keep the one the API routes read.
export const PORTAL_COOKIE_PATHS = ["/portal", "/v2"] as const;
const TOKEN_PREFIX = "pts_";

/**
 * The session of this request, once per request; 401 without one. A cookie-borne session is
 * refused (403) on a cross-origin request: SameSite=Strict keeps other sites' requests from
 * carrying it, and this keeps other origins of the same site (sibling subdomains) out too.
 */
export async function portalSessionAuth(c: Context<AppEnv>): Promise<PortalSession> {
  const known = c.get("portalSession");
  if (known) return known;
  const { token, byCookie } = presentedToken(c);
  if (byCookie) refuseCrossOrigin(c);
  const session = await authenticateSession(c.get("deps").db, token);
  c.set("portalSession", session);
  c.set("workspaceId", session.workspaceId);
  return session;
}

/**
 * The access token the request authenticated its session with: what a held portal activity's
 * answer is sealed to, and what opens it (src/activities/seal.ts). Call after portalSessionAuth.
 */
export function portalSessionToken(c: Context<AppEnv>): string {
  const { token } = presentedToken(c);
  if (token === undefined) throw new KeyholdError("UNAUTHORIZED", "The portal session is missing, invalid or expired.");
  return token;
}

/** A `pts_` bearer, else the cookie. */
function presentedToken(c: Context<AppEnv>): { token: string | undefined; byCookie: boolean } {
  const bearer = bearerToken(c.req.header("Authorization"));
  if (bearer?.startsWith(TOKEN_PREFIX)) return { token: bearer, byCookie: false };
  const cookie = getCookie(c, PORTAL_COOKIE);
  return { token: cookie, byCookie: cookie !== undefined };
}

/**
 * 403 for a request another origin sent (`Origin`, or `Sec-Fetch-Site` other than same-origin):
 * what a cookie-borne portal call and the hosted page's sign-in form must come from. The
 * portal's own origin is the request's, or KEYHOLD_PUBLIC_URL's where a proxy rewrites the host.
 */
export function refuseCrossOrigin(c: Context<AppEnv>, message = "A portal session cookie is only accepted from the portal's own origin."): void {
  const site = c.req.header("Sec-Fetch-Site");
  const origin = c.req.header("Origin");
  const crossSite = site !== undefined && site !== "same-origin";
  const own = [new URL(c.req.url).host, ...publicUrlOf(c).map((u) => u.host)];
  const crossOrigin = origin !== undefined && !own.includes(hostOf(origin) ?? "");
  if (crossSite || crossOrigin) throw new KeyholdError("FORBIDDEN", message);
}

/** Where browsers reach this Keyhold: KEYHOLD_PUBLIC_URL when set (none or one). */
function publicUrlOf(c: Context<AppEnv>): URL[] {
  const configured = c.get("deps").publicUrl;
  return configured ? [new URL(configured)] : [];
}

/** The origin portal links are made from: KEYHOLD_PUBLIC_URL, else the request's own. */
export function portalOrigin(c: Context<AppEnv>): string {
  return c.get("deps").publicUrl ?? new URL(c.req.url).origin;
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null; // "null" (a sandboxed or opaque origin) and anything unparsable: never ours
  }
}

/** localhost, 127.0.0.0/8 and ::1: a browser there is on this machine, where plain http is fine. */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === "[::1]";
}

/** Secure when KEYHOLD_PUBLIC_URL is https; without it, unless the request is on loopback. */
export function setSessionCookie(c: Context<AppEnv>, accessToken: string, expiresAt: number): void {
  const [configured] = publicUrlOf(c);
  const secure = configured ? configured.protocol === "https:" : !isLoopback(new URL(c.req.url).hostname);
  for (const path of PORTAL_COOKIE_PATHS) setCookie(c, PORTAL_COOKIE, accessToken, { httpOnly: true, sameSite: "Strict", path, secure, expires: new Date(expiresAt) });
}
