import { eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { portalSessions } from "../../src/db/schema.ts";
import { deleteExpiredPortalSessions } from "../../src/portal/sessions.ts";
import { forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope } from "../security/envelope.ts";
import { mintCode, portalCall, portalWorld, sessionToken } from "./fixtures.ts";

/** Codes and sessions over HTTP: single use, expiry, the cookie and its CSRF rule, bad input. */
forEachDatabase(
  "portal sessions",
  (h) => {
    test("a code works once, even when two exchanges race; code and token are stored only as hashes", async () => {
      const world = await portalWorld(h());
      const code = await mintCode(h(), world.ws.rootKey, world.portalId, "alice");
      const [a, b] = await Promise.all([h().post("/v2/portal.exchangeCode", { code }), h().post("/v2/portal.exchangeCode", { code })]);
      expect([a.status, b.status].sort()).toEqual([200, 401]);
      const lost = a.status === 401 ? a : b;
      expectErrorEnvelope(lost, "UNAUTHORIZED");
      const token = (a.status === 200 ? a : b).body.data.accessToken as string;
      expect((await h().post("/v2/portal.exchangeCode", { code })).status).toBe(401);
      const stored = JSON.stringify(await h().db.select().from(portalSessions));
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(token);
    });

    test("an expired code cannot be exchanged, an expired session opens nothing, and the sweep deletes both", async () => {
      const world = await portalWorld(h());
      const code = await mintCode(h(), world.ws.rootKey, world.portalId, "alice");
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice");
      expect((await portalCall(h(), "listKeys", {}, token)).status).toBe(200);
      const rows = await h().db.select().from(portalSessions).where(eq(portalSessions.workspaceId, world.ws.workspaceId));
      const past = Date.now() - 1;
      for (const row of rows) await h().db.update(portalSessions).set({ codeExpiresAt: past, ...(row.expiresAt !== null && { expiresAt: past }) }).where(eq(portalSessions.id, row.id));
      expectErrorEnvelope(await h().post("/v2/portal.exchangeCode", { code }), "UNAUTHORIZED");
      expectErrorEnvelope(await portalCall(h(), "listKeys", {}, token), "UNAUTHORIZED");
      expect(await deleteExpiredPortalSessions(h().db)).toBeGreaterThanOrEqual(2);
      expect(await h().db.select().from(portalSessions).where(eq(portalSessions.workspaceId, world.ws.workspaceId))).toEqual([]);
    });

    test("a fresh code and a live session are kept by the sweep", async () => {
      const world = await portalWorld(h());
      await mintCode(h(), world.ws.rootKey, world.portalId, "alice");
      await sessionToken(h(), world.ws.rootKey, world.portalId, "alice");
      await deleteExpiredPortalSessions(h().db);
      expect(await h().db.select().from(portalSessions).where(eq(portalSessions.workspaceId, world.ws.workspaceId))).toHaveLength(2);
    });

    test("the cookie is HttpOnly, SameSite=Strict, set for Path=/v2 and Path=/portal only, and Secure off loopback", async () => {
      const world = await portalWorld(h());
      const exchange = async (origin: string) => {
        const code = await mintCode(h(), world.ws.rootKey, world.portalId, "alice");
        const res = await h().app.request(`${origin}/v2/portal.exchangeCode`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code }) });
        expect(res.status).toBe(200);
        return res.headers.getSetCookie();
      };
      const remote = await exchange("https://keys.example.com");
      expect(remote).toHaveLength(2);
      const token = remote[0]!.match(/^portal_session=(pts_[\w-]+);/)?.[1];
      expect(token).toBeDefined();
      expect(remote.map((cookie) => cookie.match(/Path=([^;]+)/)?.[1]).sort()).toEqual(["/portal", "/v2"]);
      for (const cookie of remote) {
        expect(cookie.startsWith(`portal_session=${token};`)).toBe(true);
        for (const flag of ["HttpOnly", "SameSite=Strict", "Secure", "Expires="]) expect(cookie).toContain(flag);
      }
      const local = await exchange("http://127.0.0.1:8080");
      for (const cookie of local) {
        expect(cookie).toContain("HttpOnly");
        expect(cookie).not.toContain("Secure");
      }
    });

    test("KEYHOLD_PUBLIC_URL: session links are made from it, the cookie is Secure by its scheme, and its origin counts as the portal's own", async () => {
      const world = await portalWorld(h());
      const mint = async (origin: string) => {
        const res = await h().app.request(`${origin}/v2/portal.createSession`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${world.ws.rootKey}` },
          body: JSON.stringify({ portal: world.portalId, externalId: "alice", scopes: ["keys:read"] }),
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as { data: { url: string; code: string } }).data;
      };
      const exchange = async (origin: string, code: string) =>
        (await h().app.request(`${origin}/v2/portal.exchangeCode`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code }) })).headers.getSetCookie();
      // Unset: the request's own origin, as a proxy handed it over.
      const internal = await mint("http://10.0.0.7:8787");
      expect(internal.url).toBe(`http://10.0.0.7:8787/portal?code=${encodeURIComponent(internal.code)}`);
      try {
        h().deps.publicUrl = "https://keys.acme.example";
        const behindProxy = await mint("http://10.0.0.7:8787");
        expect(behindProxy.url).toBe(`https://keys.acme.example/portal?code=${encodeURIComponent(behindProxy.code)}`);
        // The proxy talks plain http on loopback; browsers are on https: Secure.
        for (const cookie of await exchange("http://127.0.0.1:8787", behindProxy.code)) expect(cookie).toContain("Secure");
        const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ["keys:read"]);
        const fromPage = (origin: string) =>
          h().app.request("http://10.0.0.7:8787/v2/portal.listKeys", { method: "POST", headers: { "Content-Type": "application/json", Cookie: `portal_session=${token}`, Origin: origin }, body: "{}" });
        expect((await fromPage("https://keys.acme.example")).status).toBe(200);
        expect((await fromPage("https://evil.example")).status).toBe(403);

        h().deps.publicUrl = "http://localhost:8787";
        const local = await mint("http://10.0.0.7:8787");
        for (const cookie of await exchange("http://10.0.0.7:8787", local.code)) expect(cookie).not.toContain("Secure");
      } finally {
        h().deps.publicUrl = null;
      }
    });

    test("a cookie-authenticated call from another origin is refused; same origin and bearer calls are not", async () => {
      const world = await portalWorld(h());
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice");
      const call = (operation: string, body: unknown, headers: Record<string, string>) =>
        h().call("POST", `/v2/portal.${operation}`, { body, headers: { Cookie: `portal_session=${token}`, ...headers } });
      const reroll = { keyId: world.alice.plain.keyId, expiration: 0 };
      expectErrorEnvelope(await call("rerollKey", reroll, { Origin: "https://evil.example" }), "FORBIDDEN");
      expectErrorEnvelope(await call("rerollKey", reroll, { "Sec-Fetch-Site": "same-site" }), "FORBIDDEN");
      expectErrorEnvelope(await call("revealKey", { keyId: world.alice.recoverable.keyId }, { "Sec-Fetch-Site": "cross-site" }), "FORBIDDEN");
      expectErrorEnvelope(await call("listKeys", {}, { Origin: "null" }), "FORBIDDEN");
      // Nothing happened: the key was not rerolled.
      expect((await h().verify(world.alice.plain.key)).body.valid).toBe(true);
      // From the portal's own origin (the harness's requests are to http://localhost), and by bearer from anywhere.
      expect((await call("listKeys", {}, { Origin: "http://localhost", "Sec-Fetch-Site": "same-origin" })).status).toBe(200);
      expect((await h().call("POST", "/v2/portal.listKeys", { body: {}, token, headers: { Origin: "https://evil.example" } })).status).toBe(200);
    });

    test("without a session, or with a root key, a portal route is a 401", async () => {
      const world = await portalWorld(h());
      const body = { keyId: world.alice.plain.keyId, expiration: 0, startTime: 1, endTime: 2, activityId: "act_1Ghu6ZbT4nQ8wXmR2kVc7J" };
      for (const operation of ["listKeys", "getVerifications", "rerollKey", "revealKey", "getActivity"]) {
        expectErrorEnvelope(await h().post(`/v2/portal.${operation}`, body), "UNAUTHORIZED");
        expectErrorEnvelope(await h().post(`/v2/portal.${operation}`, body, world.ws.rootKey), "UNAUTHORIZED");
        expectErrorEnvelope(await h().post(`/v2/portal.${operation}`, body, "pts_made_up"), "UNAUTHORIZED");
      }
    });

    test("a session ends with its portal, its identity and the root key that minted it", async () => {
      const world = await portalWorld(h());
      const minter = await h().rootKey(world.ws, ["*"]);
      const byMinter = await sessionToken(h(), minter.key, world.portalId, "alice");
      const forBob = await sessionToken(h(), world.ws.rootKey, world.portalId, "bob");
      expect((await portalCall(h(), "listKeys", {}, byMinter)).status).toBe(200);
      expect((await h().post("/v1/rootKeys.deleteRootKey", { keyId: minter.keyId }, world.ws.rootKey)).status).toBe(200);
      expectErrorEnvelope(await portalCall(h(), "listKeys", {}, byMinter), "UNAUTHORIZED");
      expect((await h().post("/v2/identities.deleteIdentity", { identity: "bob" }, world.ws.rootKey)).status).toBe(200);
      expectErrorEnvelope(await portalCall(h(), "listKeys", {}, forBob), "UNAUTHORIZED");
      const alice = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice");
      expect((await h().post("/v2/portal.deletePortal", { portalId: world.portalId }, world.ws.rootKey)).status).toBe(200);
      expectErrorEnvelope(await portalCall(h(), "listKeys", {}, alice), "UNAUTHORIZED");
    });

    test("bad input is a 400 in the envelope: unknown scope, missing fields, bad URLs and windows", async () => {
      const world = await portalWorld(h());
      const mint = (body: Record<string, unknown>) => h().post("/v2/portal.createSession", { portal: world.portalId, externalId: "alice", scopes: ["keys:read"], ...body }, world.ws.rootKey);
      expectErrorEnvelope(await mint({ scopes: ["keys:delete"] }), "BAD_REQUEST");
      expectErrorEnvelope(await mint({ scopes: [] }), "BAD_REQUEST");
      expectErrorEnvelope(await mint({ returnUrl: "javascript:alert(1)" }), "BAD_REQUEST");
      expectErrorEnvelope(await mint({ externalId: "" }), "BAD_REQUEST");
      expectErrorEnvelope(await mint({ externalId: "nobody" }), "NOT_FOUND");
      expectErrorEnvelope(await mint({ portal: "ptl_1Ghu6Y2kQ7xW3nZ8rT5vLp" }), "NOT_FOUND");
      expectErrorEnvelope(await h().post("/v2/portal.exchangeCode", {}), "BAD_REQUEST");
      expectErrorEnvelope(await h().post("/v2/portal.exchangeCode", { code: 42 }), "BAD_REQUEST");
      expectErrorEnvelope(await h().call("POST", "/v2/portal.exchangeCode", { rawBody: "{", headers: { "Content-Type": "application/json" } }), "BAD_REQUEST");
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice");
      expectErrorEnvelope(await portalCall(h(), "listKeys", { limit: 0 }, token), "BAD_REQUEST");
      expectErrorEnvelope(await portalCall(h(), "listKeys", { cursor: "api_other:key_x" }, token), "BAD_REQUEST");
      expectErrorEnvelope(await portalCall(h(), "getVerifications", { startTime: 10, endTime: 5 }, token), "BAD_REQUEST");
      expectErrorEnvelope(await portalCall(h(), "getVerifications", { startTime: 1, endTime: 400 * 86_400_000 }, token), "BAD_REQUEST");
      expectErrorEnvelope(await portalCall(h(), "rerollKey", { keyId: world.alice.plain.keyId, expiration: -1 }, token), "BAD_REQUEST");
      expectErrorEnvelope(await portalCall(h(), "revealKey", {}, token), "BAD_REQUEST");
    });

    test("listKeys pages across the portal's APIs", async () => {
      const world = await portalWorld(h());
      const more = await Promise.all([1, 2, 3].map(() => h().createKey(world.ws, world.plainApiId, { ownerId: "alice" })));
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice");
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const res = await portalCall(h(), "listKeys", { limit: 2, ...(cursor && { cursor }) }, token);
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.data.map((k: { keyId: string }) => k.keyId));
        if (!res.body.pagination.hasMore) break;
        cursor = res.body.pagination.cursor;
      }
      expect(seen.sort()).toEqual([world.alice.recoverable.keyId, world.alice.plain.keyId, ...more.map((k) => k.keyId)].sort());
    });
  },
  { vault: true },
);
