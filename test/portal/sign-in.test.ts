import { expect, test } from "vitest";
import { PORTAL_CSP } from "../../src/api/portal-page/csp.ts";
import { forEachDatabase } from "../harness.ts";
import { mintCode, portalCall, portalWorld } from "./fixtures.ts";

/**
 * Login CSRF on the hosted page: a link to `/portal?code=<someone else's code>` must not
 * silently replace the session a browser already holds. It asks, with a plain form that posts
 * the code to /portal/exchange from the portal's own origin only.
 */
forEachDatabase(
  "hosted portal sign-in",
  (h) => {
    const request = (path: string, init: { headers?: Record<string, string>; method?: string; body?: string } = {}) =>
      h().app.request(`http://localhost${path}`, { ...init, redirect: "manual" });
    const cookieOf = (res: Response) => res.headers.getSetCookie().find((c) => c.includes("Path=/portal"))?.split(";")[0];
    const signIn = async (code: string, cookie?: string) => request(`/portal?code=${encodeURIComponent(code)}`, { headers: cookie ? { Cookie: cookie } : {} });
    const whoIs = async (cookie: string) => (await portalCall(h(), "listKeys", {}, cookie.slice("portal_session=".length))).body.data.map((k: { keyId: string }) => k.keyId);
    const post = (code: string, headers: Record<string, string>) =>
      request("/portal/exchange", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams({ code }).toString() });

    test("the page always says who is signed in", async () => {
      const world = await portalWorld(h());
      const cookie = cookieOf(await signIn(await mintCode(h(), world.ws.rootKey, world.portalId, "alice", ["keys:read"])))!;
      const html = await (await request("/portal", { headers: { Cookie: cookie } })).text();
      expect(html).toContain('<p class="who" id="who">Signed in as <strong>alice</strong></p>');
    });

    test("a link for someone else while signed in asks first (nothing replaced, the code kept); its form signs in from the portal's origin only", async () => {
      const world = await portalWorld(h());
      const alice = cookieOf(await signIn(await mintCode(h(), world.ws.rootKey, world.portalId, "alice", ["keys:read"])))!;
      const attackers = await mintCode(h(), world.ws.rootKey, world.portalId, "bob", ["keys:read"]);

      const asked = await signIn(attackers, alice);
      expect(asked.status).toBe(200);
      expect(asked.headers.getSetCookie()).toEqual([]);
      expect(asked.headers.get("content-security-policy")).toBe(PORTAL_CSP);
      expect(asked.headers.get("cache-control")).toBe("no-store");
      expect(asked.headers.get("referrer-policy")).toBe("no-referrer");
      const html = await asked.text();
      expect(html).toContain("You are signed in to <strong>Acme portal</strong> as <strong>alice</strong>.");
      expect(html).toContain("This link signs you in to <strong>Acme portal</strong> as <strong>bob</strong> instead.");
      expect(html).toContain(`<form method="post" action="/portal/exchange"><input type="hidden" name="code" value="${attackers}">`);
      expect(html).toContain('<button type="submit">Sign in as bob</button>');
      expect(html).toContain('<a class="stay" href="/portal">Stay signed in as alice</a>');
      expect(html).toContain("Signed in as <strong>alice</strong>");
      expect(html).not.toMatch(/<script/);
      // Still alice's browser.
      expect(await whoIs(alice)).toEqual(expect.arrayContaining([world.alice.plain.keyId]));

      // The form from elsewhere: refused, and the code is not spent.
      for (const headers of [{ Origin: "https://evil.example" }, { "Sec-Fetch-Site": "cross-site" }, { "Sec-Fetch-Site": "same-site" }, { Origin: "null" }] as Record<string, string>[]) {
        const refused = await post(attackers, { Cookie: alice, ...headers });
        expect(refused.status, JSON.stringify(headers)).toBe(403);
        expect(refused.headers.getSetCookie()).toEqual([]);
        expect(await refused.text()).toContain("only accepted from the portal&#39;s own page");
      }
      // From the page itself: signed in as bob, the code spent.
      const confirmed = await post(attackers, { Cookie: alice, Origin: "http://localhost", "Sec-Fetch-Site": "same-origin" });
      expect(confirmed.status).toBe(303);
      expect(confirmed.headers.get("location")).toBe("/portal");
      const bob = cookieOf(confirmed)!;
      expect(await whoIs(bob)).toEqual([world.bob.keyId]);
      expect((await post(attackers, { Origin: "http://localhost" })).status).toBe(401);
    });

    test("the same identity in the same portal, no session, or a dead cookie: signed in at once, as before", async () => {
      const world = await portalWorld(h());
      const first = cookieOf(await signIn(await mintCode(h(), world.ws.rootKey, world.portalId, "alice", ["keys:read"])))!;
      const again = await signIn(await mintCode(h(), world.ws.rootKey, world.portalId, "alice", ["keys:read", "keys:reveal"]), first);
      expect(again.status).toBe(303);
      expect(cookieOf(again)).toBeDefined();
      expect(cookieOf(again)).not.toBe(first);
      const dead = await signIn(await mintCode(h(), world.ws.rootKey, world.portalId, "bob", ["keys:read"]), "portal_session=pts_made_up");
      expect(dead.status).toBe(303);
    });

    test("another portal's link asks too; a bad code while signed in is the 401 page and keeps the session", async () => {
      const world = await portalWorld(h());
      const other = await portalWorld(h());
      await h().post("/v2/portal.updatePortal", { portalId: other.portalId, name: "Other <portal>" }, other.ws.rootKey);
      const alice = cookieOf(await signIn(await mintCode(h(), world.ws.rootKey, world.portalId, "alice", ["keys:read"])))!;
      const foreign = await signIn(await mintCode(h(), other.ws.rootKey, other.portalId, "alice", ["keys:read"]), alice);
      expect(foreign.status).toBe(200);
      expect(await foreign.text()).toContain("This link signs you in to <strong>Other &lt;portal&gt;</strong> as <strong>alice</strong> instead.");

      for (const code of ["made-up", ""]) {
        const bad = await signIn(code, alice);
        expect(bad.status).toBe(401);
        expect(bad.headers.getSetCookie()).toEqual([]);
        expect(await bad.text()).toContain("invalid, expired or already used");
      }
      expect((await request("/portal", { headers: { Cookie: alice } })).status).toBe(200);
    });

    test("POST /portal/exchange without a code, or with a bad one, is the 401 page", async () => {
      for (const body of ["", "code=", "code=made-up", `code=${"x".repeat(300)}`]) {
        const res = await request("/portal/exchange", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "http://localhost" }, body });
        expect(res.status, body).toBe(401);
        expect(res.headers.get("content-type")).toMatch(/^text\/html/);
        expect(await res.text()).toContain("invalid, expired or already used");
      }
      const json = await request("/portal/exchange", { method: "POST", headers: { "Content-Type": "application/json", Origin: "http://localhost" }, body: '{"code":"x"}' });
      expect(json.status).toBe(401);
    });
  },
  { vault: true },
);
