import { getCookie } from "hono/cookie";
import { KeyholdError } from "../../errors.ts";
import { apiNames, findPortal } from "../../portal/portals.ts";
import { PORTAL_PAGE_PATH, authenticateSession } from "../../portal/sessions.ts";
import { errorResponse } from "../errors.ts";
import type { App } from "../env.ts";
import { PORTAL_COOKIE } from "../portal/session-auth.ts";
import { PORTAL_ASSETS, type PortalAssetName, type PortalAssetSource } from "./assets.ts";
import { attr, errorPage, esc, pageHeaders, shell } from "./html.ts";
import { registerPortalSignIn, signInWithCode } from "./sign-in.ts";

/**
 * The hosted portal page, GET /portal. With `?code=` it signs the browser in (./sign-in.ts:
 * the same exchange and cookie as portal.exchangeCode, then a redirect to /portal, so the code
 * stays in neither the address bar nor the history). Without a code it renders, for the
 * cookie's session, a shell with the portal's name, branding, return link, who is signed in,
 * and the session's scopes (and, with `keys:create`, the APIs to create keys in) as data
 * attributes; ./assets/portal.js (a file from this origin, no inline script) fills it in
 * through the /v2/portal.* routes with the same cookie. A preview session gets a banner.
 */
export function registerPortalPage(app: App, assets: PortalAssetSource | undefined): void {
  for (const name of Object.keys(PORTAL_ASSETS) as PortalAssetName[]) {
    // Read once, as /docs reads Scalar's script: a public route must not cost a file read per request.
    let loaded: Promise<string | null> | undefined;
    app.get(`${PORTAL_PAGE_PATH}/${name}`, async (c) => {
      const text = await (loaded ??= assets?.(name) ?? Promise.resolve(null));
      if (text === null) return errorResponse(c, "NOT_FOUND", `${name} is not bundled with this Keyhold.`);
      c.header("Content-Type", PORTAL_ASSETS[name]);
      c.header("Cache-Control", "public, max-age=300");
      c.header("X-Content-Type-Options", "nosniff");
      // playground.js is loaded by providers' docs pages, from their own origins.
      if (name === "playground.js") c.header("Access-Control-Allow-Origin", "*");
      return c.body(text);
    });
  }
  registerPortalSignIn(app);

  app.get(PORTAL_PAGE_PATH, async (c) => {
    pageHeaders(c);
    const code = c.req.query("code");
    if (code !== undefined) return signInWithCode(c, code);
    const { db } = c.get("deps");
    try {
      const session = await authenticateSession(db, getCookie(c, PORTAL_COOKIE));
      const portal = await findPortal(db, session.workspaceId, session.portalId);
      const creatable = session.scopes.includes("keys:create") ? await apiNames(db, session.workspaceId, session.apiIds) : [];
      const preview = session.preview
        ? `<p class="preview" id="preview" role="note"><strong>Preview</strong> You are seeing the portal as ${esc(session.externalId)} would. Nothing is changed or revealed here.</p>`
        : "";
      return c.html(
        shell(portal.name, portal.branding?.logoUrl, {
          body:
            `<body data-accent="${attr(portal.branding?.accentColor ?? "")}" data-scopes="${attr(session.scopes.join(" "))}" data-expires="${session.expiresAt}"` +
            ` data-apis="${attr(JSON.stringify(creatable))}"${session.preview ? ' data-preview="true"' : ""}>`,
          back: session.returnUrl ?? portal.returnUrl ?? undefined,
          signedInAs: session.externalId,
          main: `${preview}<div id="create" class="create"></div><p id="status" role="status" aria-live="polite">Loading your keys…</p><ul id="keys" class="keys" aria-label="Your API keys"></ul>`,
          script: true,
        }),
      );
    } catch (error) {
      if (!(error instanceof KeyholdError) || error.status >= 500) throw error;
      return c.html(errorPage("You are not signed in to this portal", error), error.status as 401 | 403 | 404);
    }
  });
}
