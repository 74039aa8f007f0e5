import { expect, test } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { PORTAL_CSP } from "../../src/api/portal-page/csp.ts";
import { forEachDatabase } from "../harness.ts";
import { mintCode, portalCall, portalWorld } from "./fixtures.ts";

/** The hosted portal page over HTTP: the code exchange and redirect, error pages, its files and CSP. */
forEachDatabase(
  "hosted portal page",
  (h) => {
    const get = (path: string, headers: Record<string, string> = {}) => h().app.request(`http://localhost${path}`, { headers, redirect: "manual" });
    const cookieOf = (res: Response) => res.headers.getSetCookie().find((c) => c.includes("Path=/portal"))!.split(";")[0]!;

    test("?code= is exchanged once and redirects to /portal without the code; the page is the session's", async () => {
      const world = await portalWorld(h());
      await h().post("/v2/portal.updatePortal", { portalId: world.portalId, returnUrl: "https://acme.example/account", branding: { accentColor: "#aa3300" } }, world.ws.rootKey);
      const code = await mintCode(h(), world.ws.rootKey, world.portalId, "alice", ["keys:read", "keys:reveal"]);
      const res = await get(`/portal?code=${encodeURIComponent(code)}`);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/portal");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("cache-control")).toBe("no-store");
      // The same two cookies as portal.exchangeCode; the /v2 one opens the portal routes.
      const cookies = res.headers.getSetCookie();
      expect(cookies.map((c) => c.match(/Path=([^;]+)/)?.[1]).sort()).toEqual(["/portal", "/v2"]);
      const token = cookieOf(res).slice("portal_session=".length);
      expect((await portalCall(h(), "listKeys", {}, token)).status).toBe(200);

      const page = await get("/portal", { Cookie: cookieOf(res) });
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain("<h1>Acme portal</h1>");
      expect(html).toContain('href="https://acme.example/account">← Back to Acme portal</a>');
      expect(html).toContain('data-accent="#aa3300"');
      expect(html).toContain('data-scopes="keys:read keys:reveal"');
      expect(html).toContain('<script type="module" src="/portal/portal.js"></script>');
      expect(html).not.toContain(code);
      expect(html).not.toContain(token);

      // Used once: the same link again is an error page in words.
      const again = await get(`/portal?code=${encodeURIComponent(code)}`);
      expect(again.status).toBe(401);
      expect(again.headers.getSetCookie()).toEqual([]);
      const text = await again.text();
      expect(text).toContain("This portal link cannot be used");
      expect(text).toContain("The code is invalid, expired or already used.");
      expect(text).not.toContain("<script");
    });

    test("a made-up, empty or oversized code, and no session at all, are 401 pages that say why", async () => {
      for (const path of ["/portal?code=made-up", "/portal?code=", `/portal?code=${"x".repeat(300)}`]) {
        const res = await get(path);
        expect(res.status, path).toBe(401);
        expect(res.headers.get("content-type")).toMatch(/^text\/html/);
        expect(res.headers.get("content-security-policy")).toBe(PORTAL_CSP);
        expect(await res.text()).toContain("invalid, expired or already used");
      }
      for (const headers of [{}, { Cookie: "portal_session=pts_made_up" }] as Record<string, string>[]) {
        const res = await get("/portal", headers);
        expect(res.status).toBe(401);
        const text = await res.text();
        expect(text).toContain("You are not signed in to this portal");
        expect(text).toContain("The portal session is missing, invalid or expired.");
      }
    });

    test("a branding logo (a data: URL or a same-origin path) is the page's image; none, no image", async () => {
      const world = await portalWorld(h());
      const page = async () => {
        const code = await mintCode(h(), world.ws.rootKey, world.portalId, "alice", ["keys:read"]);
        return (await get("/portal", { Cookie: cookieOf(await get(`/portal?code=${encodeURIComponent(code)}`)) })).text();
      };
      expect(await page()).not.toContain("<img");
      const logoUrl = "data:image/png;base64,iVBORw0KGgo=";
      expect((await h().post("/v2/portal.updatePortal", { portalId: world.portalId, branding: { logoUrl } }, world.ws.rootKey)).status).toBe(200);
      expect(await page()).toContain(`<img class="logo" src="${logoUrl}" alt="" width="32" height="32">`);
      expect((await h().post("/v2/portal.updatePortal", { portalId: world.portalId, branding: { logoUrl: "/assets/logo.svg" } }, world.ws.rootKey)).status).toBe(200);
      expect(await page()).toContain('src="/assets/logo.svg"');
    });

    test("names in the page are escaped", async () => {
      const ws = await h().workspace();
      const apiId = await h().createApi(ws);
      await h().post("/v2/identities.createIdentity", { externalId: "eve" }, ws.rootKey);
      const portalId = (await h().post("/v2/portal.createPortal", { name: '<img src=x onerror="alert(1)">', apiIds: [apiId] }, ws.rootKey)).body.data.portalId;
      const code = await mintCode(h(), ws.rootKey, portalId, "eve", ["keys:read"]);
      const res = await get(`/portal?code=${encodeURIComponent(code)}`);
      const html = await (await get("/portal", { Cookie: cookieOf(res) })).text();
      expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
      expect(html).not.toContain("<img src=x");
    });

    test("the page and its files: strict CSP, no inline script or style, right content types", async () => {
      expect(PORTAL_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(PORTAL_CSP).toContain("default-src 'none'");
      expect(PORTAL_CSP).toContain("script-src 'self'");
      const world = await portalWorld(h());
      const code = await mintCode(h(), world.ws.rootKey, world.portalId, "alice");
      const page = await get("/portal", { Cookie: cookieOf(await get(`/portal?code=${encodeURIComponent(code)}`)) });
      expect(page.headers.get("content-security-policy")).toBe(PORTAL_CSP);
      const html = await page.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(html).not.toMatch(/\sstyle=|<style/);
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\/(?!acme)/);

      for (const [path, type] of [
        ["/portal/portal.js", "text/javascript; charset=utf-8"],
        ["/portal/portal.css", "text/css; charset=utf-8"],
        ["/portal/playground.js", "text/javascript; charset=utf-8"],
      ] as const) {
        const res = await get(path);
        expect(res.status, path).toBe(200);
        expect(res.headers.get("content-type")).toBe(type);
        expect(res.headers.get("x-content-type-options")).toBe("nosniff");
        expect((await res.text()).length).toBeGreaterThan(500);
      }
      const playground = await get("/portal/playground.js");
      expect(playground.headers.get("access-control-allow-origin")).toBe("*");
      expect(await playground.text()).toMatch(/export async function playgroundKey/);
      expect((await get("/portal/portal.js")).headers.get("access-control-allow-origin")).toBeNull();
    });

    test("a browser file that is not bundled is a 404 in the error envelope", async () => {
      const bare = createApp({ ...h().deps, portalAssets: undefined });
      for (const name of ["portal.js", "portal.css", "playground.js"]) {
        const res = await bare.request(`http://localhost/portal/${name}`);
        expect(res.status, name).toBe(404);
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
        const body = (await res.json()) as { error: Record<string, string> };
        expect(body.error).toEqual({ code: "NOT_FOUND", message: `${name} is not bundled with this Keyhold.`, docs: "/docs/errors#NOT_FOUND", requestId: res.headers.get("x-request-id") });
      }
    });

    test("with keys:create the page lists the portal's APIs to create keys in, by name; without it, none", async () => {
      const world = await portalWorld(h());
      const page = async (scopes: string[]) => {
        const code = await mintCode(h(), world.ws.rootKey, world.portalId, "alice", scopes);
        return (await get("/portal", { Cookie: cookieOf(await get(`/portal?code=${encodeURIComponent(code)}`)) })).text();
      };
      const apis = JSON.stringify([world.apiId, world.plainApiId].sort().map((id) => ({ id, name: id === world.apiId ? "api" : "plain" })));
      expect(await page(["keys:read", "keys:create"])).toContain(`data-apis="${apis.replaceAll('"', "&quot;")}"`);
      expect(await page(["keys:read"])).toContain('data-apis="[]"');
    });

    test("portal.listKeys with apiId keeps that API; an API outside the portal is a 404 like a missing one", async () => {
      const world = await portalWorld(h());
      const code = await mintCode(h(), world.ws.rootKey, world.portalId, "alice");
      const token = (await h().post("/v2/portal.exchangeCode", { code })).body.data.accessToken;
      const only = await portalCall(h(), "listKeys", { apiId: world.apiId }, token);
      expect(only.status).toBe(200);
      expect(only.body.data.map((k: { keyId: string }) => k.keyId)).toEqual([world.alice.recoverable.keyId]);
      const outside = await portalCall(h(), "listKeys", { apiId: world.outsideApiId }, token);
      const missing = await portalCall(h(), "listKeys", { apiId: "api_1234567890abcdefghijkl" }, token);
      expect(outside.status).toBe(404);
      expect({ ...outside.body, meta: undefined }).toEqual({ ...missing.body, meta: undefined });
    });
  },
  { vault: true },
);
