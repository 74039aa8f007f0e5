import { and, eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { activities } from "../../src/db/schema.ts";
import { forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope } from "../security/envelope.ts";
import { ALL_SCOPES, portalCall, portalWorld } from "./fixtures.ts";

/**
 * A preview session (createSession `preview: true`): the provider sees the portal as the end
 * user would; it reads, and every change or reveal is refused.
 */
forEachDatabase(
  "portal preview sessions",
  (h) => {
    const previewCode = async (world: Awaited<ReturnType<typeof portalWorld>>) => {
      const res = await h().post("/v2/portal.createSession", { portal: world.portalId, externalId: "alice", scopes: ALL_SCOPES, preview: true }, world.ws.rootKey);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.data.code as string;
    };

    test("reads work; create, reroll and reveal are a 403 that says so, and nothing changed, nothing was revealed, no activity ran", async () => {
      const world = await portalWorld(h());
      const token = (await h().post("/v2/portal.exchangeCode", { code: await previewCode(world) })).body.data.accessToken as string;
      const listed = await portalCall(h(), "listKeys", {}, token);
      expect(listed.status).toBe(200);
      expect(listed.body.data.map((k: { keyId: string }) => k.keyId).sort()).toEqual([world.alice.recoverable.keyId, world.alice.plain.keyId].sort());
      expect((await portalCall(h(), "getVerifications", { startTime: Date.now() - 3_600_000, endTime: Date.now() }, token)).status).toBe(200);

      const before = await h().snapshot();
      const changes: [string, unknown][] = [
        ["createKey", { apiId: world.apiId }],
        ["rerollKey", { keyId: world.alice.plain.keyId, expiration: 0 }],
        ["revealKey", { keyId: world.alice.recoverable.keyId }],
      ];
      for (const [operation, body] of changes) {
        const res = await portalCall(h(), operation, body, token);
        expectErrorEnvelope(res, "FORBIDDEN", operation);
        expect(res.body.error.detail, operation).toBe("preview session: nothing is changed or revealed.");
        expect(JSON.stringify(res.body)).not.toContain(world.alice.recoverable.key);
      }
      // Refused before any policy is weighed: no activity of the workspace's portal calls at all.
      const ran = await h().db.select().from(activities).where(and(eq(activities.workspaceId, world.ws.workspaceId)));
      expect(ran.filter((a) => a.operation.startsWith("portal.") && a.operation !== "portal.createPortal")).toEqual([]);
      expect(await h().snapshot()).toEqual(before);
      expect((await h().verify(world.alice.plain.key)).body.valid).toBe(true);
    });

    test("the page shows a Preview banner; a session that is not a preview shows none", async () => {
      const world = await portalWorld(h());
      const get = (path: string, headers: Record<string, string> = {}) => h().app.request(`http://localhost${path}`, { headers, redirect: "manual" });
      const pageFor = async (code: string) => {
        const signedIn = await get(`/portal?code=${encodeURIComponent(code)}`);
        expect(signedIn.status).toBe(303);
        const cookie = signedIn.headers.getSetCookie().find((c) => c.includes("Path=/portal"))!.split(";")[0]!;
        return (await get("/portal", { Cookie: cookie })).text();
      };
      const preview = await pageFor(await previewCode(world));
      expect(preview).toMatch(/<p class="preview" id="preview" role="note"><strong>Preview<\/strong>[^<]*Nothing is changed or revealed here\.<\/p>/);
      expect(preview).toContain('data-preview="true"');
      const live = (await h().post("/v2/portal.createSession", { portal: world.portalId, externalId: "alice", scopes: ["keys:read"] }, world.ws.rootKey)).body.data.code;
      const normal = await pageFor(live);
      expect(normal).not.toContain('class="preview"');
      expect(normal).not.toContain("data-preview");
    });
  },
  { vault: true },
);
