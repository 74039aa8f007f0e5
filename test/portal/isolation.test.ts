import { eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { rootKeys } from "../../src/db/schema.ts";
import { forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope } from "../security/envelope.ts";
import { ALL_SCOPES, portalCall, portalWorld, sessionToken, withoutRequestId } from "./fixtures.ts";

/**
 * A session sees only its identity's keys in its portal's APIs, only with its scopes: any
 * other key is answered byte for byte like a key that does not exist.
 */
const MISSING = "key_1Ghu6Y4bN7qKcVwQfZ2Rt8";

forEachDatabase(
  "portal session isolation",
  (h) => {
    test("another identity's key, another API's, another workspace's: 404 byte-identical to a missing key, on every key route", async () => {
      const world = await portalWorld(h());
      const other = await portalWorld(h());
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice");
      const foreign = { "bob's key": world.bob.keyId, "alice's key outside the portal": world.alice.outside.keyId, "another workspace's alice": other.alice.recoverable.keyId };
      const calls: [string, (keyId: string) => unknown][] = [
        ["rerollKey", (keyId) => ({ keyId, expiration: 0 })],
        ["revealKey", (keyId) => ({ keyId })],
        ["getVerifications", (keyId) => ({ keyId, startTime: Date.now() - 3_600_000, endTime: Date.now() })],
      ];
      for (const [operation, body] of calls) {
        const missing = await portalCall(h(), operation, body(MISSING), token);
        expectErrorEnvelope(missing, "NOT_FOUND");
        for (const [label, keyId] of Object.entries(foreign)) {
          const res = await portalCall(h(), operation, body(keyId), token);
          expect(withoutRequestId(res).replace(keyId, MISSING), `${operation}: ${label}`).toBe(withoutRequestId(missing));
        }
      }
      // Nothing of theirs changed: every foreign key still verifies.
      for (const key of [world.bob.key, world.alice.outside.key, other.alice.recoverable.key]) expect((await h().verify(key)).body.valid).toBe(true);
      // listKeys: alice's keys in the portal's APIs, and nothing else.
      const listed = (await portalCall(h(), "listKeys", {}, token)).body.data.map((k: { keyId: string }) => k.keyId).sort();
      expect(listed).toEqual([world.alice.recoverable.keyId, world.alice.plain.keyId].sort());
    });

    test("a portal of another workspace cannot be minted for, and looks like a missing one", async () => {
      const world = await portalWorld(h());
      const other = await portalWorld(h());
      const mint = (portal: string) => h().post("/v2/portal.createSession", { portal, externalId: "alice", scopes: ["keys:read"] }, world.ws.rootKey);
      const missing = await mint("ptl_1Ghu6Y4bN7qKcVwQfZ2Rt8");
      expectErrorEnvelope(missing, "NOT_FOUND");
      expect(withoutRequestId(await mint(other.portalId)).replace(other.portalId, "ptl_1Ghu6Y4bN7qKcVwQfZ2Rt8")).toBe(withoutRequestId(missing));
    });

    test("each call needs its own scope: 403 in the envelope without it, whatever key it names", async () => {
      const world = await portalWorld(h());
      const needs: [string, string, unknown][] = [
        ["listKeys", "keys:read", {}],
        ["getVerifications", "analytics:read", { startTime: Date.now() - 3_600_000, endTime: Date.now() }],
        ["rerollKey", "keys:reroll", { keyId: world.alice.plain.keyId, expiration: 0 }],
        ["revealKey", "keys:reveal", { keyId: world.alice.recoverable.keyId }],
      ];
      for (const [operation, scope] of needs) {
        const without = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ALL_SCOPES.filter((s) => s !== scope));
        for (const [other, , body] of needs) {
          // Rerolls and reveals are only called where they must be refused (a reroll would change the fixture).
          if (other !== operation && (other === "rerollKey" || other === "revealKey")) continue;
          const res = await portalCall(h(), other, body, without);
          if (other === operation) {
            expectErrorEnvelope(res, "INSUFFICIENT_PERMISSIONS", `${operation} without ${scope}`);
            expect(res.status).toBe(403);
            // The same answer for a key that is not the user's: a missing scope tells nothing about keys.
            if ("keyId" in (body as object)) expect(withoutRequestId(await portalCall(h(), other, { ...(body as object), keyId: world.bob.keyId }, without))).toBe(withoutRequestId(res));
          } else {
            expect(res.status, `${other} with every scope but ${scope}`).toBe(200);
          }
        }
      }
      expect((await h().verify(world.alice.plain.key)).body.valid).toBe(true);
    });

    test("a session holds no more than its minting root key still holds", async () => {
      const world = await portalWorld(h());
      const minter = await h().rootKey(world.ws, [`portal.${world.portalId}.create_portal_session`, "api.*.read_key", "api.*.read_api", "api.*.decrypt_key"]);
      const token = await sessionToken(h(), minter.key, world.portalId, "alice", ["keys:read", "keys:reveal"]);
      expect((await portalCall(h(), "revealKey", { keyId: world.alice.recoverable.keyId }, token)).status).toBe(200);
      // The minting key loses decrypt_key: the session cannot reveal any more.
      await h().db.update(rootKeys).set({ permissions: [`portal.${world.portalId}.create_portal_session`, "api.*.read_key", "api.*.read_api"] }).where(eq(rootKeys.id, minter.keyId));
      const res = await portalCall(h(), "revealKey", { keyId: world.alice.recoverable.keyId }, token);
      expect(res.status).toBe(403);
      expect((await portalCall(h(), "listKeys", {}, token)).status).toBe(200);
    });
  },
  { vault: true },
);
