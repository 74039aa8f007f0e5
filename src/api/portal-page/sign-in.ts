import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { KeyholdError } from "../../errors.ts";
import { findPortal } from "../../portal/portals.ts";
import { PORTAL_PAGE_PATH, type PortalSession, authenticateSession, exchangeCode, peekCode } from "../../portal/sessions.ts";
import type { App, AppEnv } from "../env.ts";
import { PORTAL_COOKIE, refuseCrossOrigin, setSessionCookie } from "../portal/session-auth.ts";
import { attr, errorPage, esc, pageHeaders, shell } from "./html.ts";

/**
 * Signing a browser in with a portal code. `GET /portal?code=` exchanges it as
 * portal.exchangeCode does and redirects to /portal (the code leaves the address bar), unless
 * the browser already holds a live session of another identity or portal. Then it asks first:
 * any site can link a victim to `/portal?code=<the attacker's own code>`, and the victim's
 * browser would silently swap their session for the attacker's (login CSRF). The question is
 * a plain form (no script) that posts the code to `POST /portal/exchange`, which takes it only
 * from the portal's own origin, by the rule cookie-borne portal calls follow.
 */
export const EXCHANGE_PATH = `${PORTAL_PAGE_PATH}/exchange`;

export function registerPortalSignIn(app: App): void {
  app.post(EXCHANGE_PATH, async (c) => {
    pageHeaders(c);
    try {
      refuseCrossOrigin(c, "A portal sign-in is only accepted from the portal's own page.");
      const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
      return await exchangeAndRedirect(c, readCode(form.code));
    } catch (error) {
      return failed(c, error);
    }
  });
}

/** GET /portal?code=: signs in, or asks first when that would replace another live session. */
export async function signInWithCode(c: Context<AppEnv>, raw: string): Promise<Response> {
  try {
    const code = readCode(raw);
    const { db } = c.get("deps");
    const current = await authenticateSession(db, getCookie(c, PORTAL_COOKIE)).catch(() => null);
    if (current) {
      const pending = await peekCode(db, code);
      const same = pending.workspaceId === current.workspaceId && pending.portalId === current.portalId && pending.identityId === current.identityId;
      // The same end user in the same portal (they opened it again from the provider's site): nothing to ask.
      if (!same) return c.html(await confirmation(c, code, current, pending));
    }
    return await exchangeAndRedirect(c, code);
  } catch (error) {
    return failed(c, error);
  }
}

const badCode = () => new KeyholdError("UNAUTHORIZED", "The code is invalid, expired or already used.");

function readCode(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 256) throw badCode();
  return raw;
}

async function exchangeAndRedirect(c: Context<AppEnv>, code: string): Promise<Response> {
  const { accessToken, expiresAt } = await exchangeCode(c.get("deps").db, code);
  setSessionCookie(c, accessToken, expiresAt);
  return c.redirect(PORTAL_PAGE_PATH, 303);
}

function failed(c: Context<AppEnv>, error: unknown): Response {
  if (!(error instanceof KeyholdError) || error.status >= 500) throw error;
  return c.html(errorPage("This portal link cannot be used", error), error.status as 401 | 403 | 404);
}

/** Names both sides: the portal and identity the link signs in as, and the session it would replace. */
async function confirmation(c: Context<AppEnv>, code: string, current: PortalSession, pending: { workspaceId: string; portalId: string; externalId: string }): Promise<string> {
  const { db } = c.get("deps");
  const [now, next] = await Promise.all([findPortal(db, current.workspaceId, current.portalId), findPortal(db, pending.workspaceId, pending.portalId)]);
  const main = [
    `<div class="confirm" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-what">`,
    `<h2 id="confirm-title">Switch to another account?</h2>`,
    `<p id="confirm-what">You are signed in to <strong>${esc(now.name)}</strong> as <strong>${esc(current.externalId)}</strong>. `,
    `This link signs you in to <strong>${esc(next.name)}</strong> as <strong>${esc(pending.externalId)}</strong> instead.</p>`,
    `<p class="note">Continue only if you opened this link yourself from the provider's site: a link someone else sent you can sign you in to their account, so that what you do next happens there.</p>`,
    `<form method="post" action="${EXCHANGE_PATH}"><input type="hidden" name="code" value="${attr(code)}">`,
    `<div class="actions"><button type="submit">Sign in as ${esc(pending.externalId)}</button>`,
    `<a class="stay" href="${PORTAL_PAGE_PATH}">Stay signed in as ${esc(current.externalId)}</a></div></form></div>`,
  ].join("");
  return shell(now.name, now.branding?.logoUrl, { body: "<body>", signedInAs: current.externalId, main, script: false });
}
