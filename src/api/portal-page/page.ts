import { getCookie } from "hono/cookie";
import type { Context } from "hono";
import { KeyholdError } from "../../errors.ts";
import { findPortal } from "../../portal/portals.ts";
import { PORTAL_PAGE_PATH, authenticateSession, exchangeCode } from "../../portal/sessions.ts";
import type { App, AppEnv } from "../env.ts";
import { PORTAL_COOKIE, setSessionCookie } from "../portal/session-auth.ts";
import { PORTAL_ASSETS, type PortalAssetName, type PortalAssetSource } from "./assets.ts";
import { PORTAL_CSP } from "./csp.ts";

/**
 * The hosted portal page, GET /portal. With `?code=` it exchanges the code exactly as
 * portal.exchangeCode does (same service, same cookie) and redirects to /portal, so the code
 * stays in neither the address bar nor the history. Without a code it renders, for the
 * cookie's session, a shell with the portal's name, branding, return link and the session's
 * scopes as data attributes; ./assets/portal.js (a file from this origin, no inline script)
 * fills it in through the /v2/portal.* routes with the same cookie.
 */
export function registerPortalPage(app: App, assets: PortalAssetSource | undefined): void {
  for (const name of Object.keys(PORTAL_ASSETS) as PortalAssetName[]) {
    // Read once, as /docs reads Scalar's script: a public route must not cost a file read per request.
    let loaded: Promise<string | null> | undefined;
    app.get(`${PORTAL_PAGE_PATH}/${name}`, async (c) => {
      const text = await (loaded ??= assets?.(name) ?? Promise.resolve(null));
      if (text === null) return c.text(`${name} is not bundled with this Keyhold.`, 404);
      c.header("Content-Type", PORTAL_ASSETS[name]);
      c.header("Cache-Control", "public, max-age=300");
      c.header("X-Content-Type-Options", "nosniff");
      // playground.js is loaded by providers' docs pages, from their own origins.
      if (name === "playground.js") c.header("Access-Control-Allow-Origin", "*");
      return c.body(text);
    });
  }

  app.get(PORTAL_PAGE_PATH, async (c) => {
    pageHeaders(c);
    const code = c.req.query("code");
    const { db } = c.get("deps");
    try {
      if (code !== undefined) {
        if (code.length === 0 || code.length > 256) throw new KeyholdError("UNAUTHORIZED", "The code is invalid, expired or already used.");
        const { accessToken, expiresAt } = await exchangeCode(db, code);
        setSessionCookie(c, accessToken, expiresAt);
        return c.redirect(PORTAL_PAGE_PATH, 303);
      }
      const session = await authenticateSession(db, getCookie(c, PORTAL_COOKIE));
      const portal = await findPortal(db, session.workspaceId, session.portalId);
      return c.html(
        shell(portal.name, portal.branding?.logoUrl, {
          body: `<body data-accent="${attr(portal.branding?.accentColor ?? "")}" data-scopes="${attr(session.scopes.join(" "))}" data-expires="${session.expiresAt}">`,
          back: session.returnUrl ?? portal.returnUrl ?? undefined,
          main: `<p id="status" role="status" aria-live="polite">Loading your keys…</p><ul id="keys" class="keys" aria-label="Your API keys"></ul>`,
          script: true,
        }),
      );
    } catch (error) {
      if (!(error instanceof KeyholdError) || error.status >= 500) throw error;
      return c.html(errorPage(code !== undefined ? "This portal link cannot be used" : "You are not signed in to this portal", error), error.status as 401 | 403 | 404);
    }
  });
}

function pageHeaders(c: Context<AppEnv>): void {
  c.header("Content-Security-Policy", PORTAL_CSP);
  c.header("Cache-Control", "no-store");
  // The code is in the URL once: no Referer carries it (or the page's address) anywhere.
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Content-Type-Options", "nosniff");
}

function errorPage(title: string, error: KeyholdError): string {
  const advice =
    error.status === 401
      ? "Portal links work once and only for a few minutes. Go back to the provider's site and open the portal again for a new link."
      : "Go back to the provider's site and open the portal again.";
  return shell("Keyhold portal", undefined, {
    body: "<body>",
    main: `<div class="error" role="alert"><h2>${esc(title)}</h2><p>${esc(error.message)}</p><p>${esc(advice)}</p></div>`,
    script: false,
  });
}

function shell(name: string, logoUrl: string | undefined, parts: { body: string; back?: string; main: string; script: boolean }): string {
  const logo = logoUrl ? `<img class="logo" src="${attr(logoUrl)}" alt="" width="32" height="32">` : "";
  const back = parts.back ? `<a class="back" href="${attr(parts.back)}">← Back to ${esc(name)}</a>` : "";
  return [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${esc(name)}: your API keys</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${PORTAL_PAGE_PATH}/portal.css">`,
    parts.script ? `<script type="module" src="${PORTAL_PAGE_PATH}/portal.js"></script>` : "",
    `</head>${parts.body}<header class="bar">${logo}<h1>${esc(name)}</h1>${back}</header>`,
    `<main id="main">${parts.main}</main></body></html>`,
  ].join("");
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
const attr = esc;
