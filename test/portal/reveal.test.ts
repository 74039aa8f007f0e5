import { and, eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { chainAllPending } from "../../src/audit/chain.ts";
import { activities, auditLog } from "../../src/db/schema.ts";
import { forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope } from "../security/envelope.ts";
import { portalCall, portalWorld, sessionToken } from "./fixtures.ts";

/**
 * portal.revealKey: the end user's recoverable plaintext, recorded like a decrypt (an activity
 * and its trail entry, never the plaintext) and under the workspace's policies.
 */
forEachDatabase(
  "portal.revealKey",
  (h) => {
    const trail = async (workspaceId: string) => {
      await chainAllPending(h().db);
      return h().db.select().from(auditLog).where(eq(auditLog.workspaceId, workspaceId));
    };

    test("a recoverable key is revealed, once recorded as a DECRYPT_KEY activity and on the trail, without its plaintext", async () => {
      const world = await portalWorld(h());
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ["keys:reveal"]);
      const res = await portalCall(h(), "revealKey", { keyId: world.alice.recoverable.keyId }, token);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data).toEqual({ keyId: world.alice.recoverable.keyId, plaintext: world.alice.recoverable.key });
      expect(res.headers.get("cache-control")).toBe("no-store");

      const [activity] = await h().db.select().from(activities).where(and(eq(activities.workspaceId, world.ws.workspaceId), eq(activities.operation, "portal.revealKey")));
      expect(activity).toMatchObject({ type: "DECRYPT_KEY", status: "COMPLETED", keyId: world.alice.recoverable.keyId, initiatorRootKeyId: world.ws.rootKeyId });
      expect(activity!.params).toMatchObject({ keyId: world.alice.recoverable.keyId, portalId: world.portalId, externalId: "alice" });
      const entries = (await trail(world.ws.workspaceId)).filter((e) => e.activityId === activity!.id);
      expect(entries.map((e) => e.event)).toEqual(["activity.completed"]);
      const everything = JSON.stringify({ activity, entries });
      expect(everything).not.toContain(world.alice.recoverable.key);
    });

    test("a key that is not recoverable is a 412 that says so", async () => {
      const world = await portalWorld(h());
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ["keys:reveal"]);
      const res = await portalCall(h(), "revealKey", { keyId: world.alice.plain.keyId }, token);
      expectErrorEnvelope(res, "PRECONDITION_FAILED");
      expect(res.body.error.detail).toMatch(/not recoverable/);
    });

    test("a DENY policy on decrypts refuses the reveal; a policy needing approvals holds it", async () => {
      const world = await portalWorld(h());
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ["keys:reveal", "keys:read"]);
      const deny = await h().post("/v2/policies.createPolicy", { name: "no portal reveals", effect: "DENY", condition: "activity.type == 'DECRYPT_KEY' && has(activity.params.portalId)" }, world.ws.rootKey);
      expect(deny.status).toBe(200);
      const denied = await portalCall(h(), "revealKey", { keyId: world.alice.recoverable.keyId }, token);
      expectErrorEnvelope(denied, "FORBIDDEN");
      expect(JSON.stringify(denied.body)).not.toContain(world.alice.recoverable.key);
      // The end user is not told the provider's policy.
      expect(JSON.stringify(denied.body)).not.toContain(deny.body.data.policyId);
      expect(JSON.stringify(denied.body)).not.toContain("no portal reveals");
      // An admin decrypt is not a portal reveal: that policy leaves it alone.
      expect((await h().post("/v2/keys.getKey", { keyId: world.alice.recoverable.keyId, decrypt: true }, world.ws.rootKey)).status).toBe(200);

      expect((await h().post("/v2/policies.deletePolicy", { policyId: deny.body.data.policyId }, world.ws.rootKey)).status).toBe(200);
      const approvals = await h().post(
        "/v2/policies.createPolicy",
        { name: "reveals need two", effect: "ALLOW", condition: "activity.type == 'DECRYPT_KEY'", consensus: "approvers.count() >= 2" },
        world.ws.rootKey,
      );
      expect(approvals.status).toBe(200);
      // One that needs approvals waits for them (test/portal/approvals.test.ts follows it to the end), and reveals nothing now.
      const held = await portalCall(h(), "revealKey", { keyId: world.alice.recoverable.keyId }, token);
      expect(held.status).toBe(202);
      expect(held.body.data).toEqual({ activityId: expect.stringMatching(/^act_/), status: "CONSENSUS_NEEDED" });
      expect(JSON.stringify(held.body)).not.toContain(world.alice.recoverable.key);
      // Reads are no activities: listing still works.
      expect((await portalCall(h(), "listKeys", {}, token)).status).toBe(200);
    });

    test("a DENY on another identity's key cannot tell the session that key exists", async () => {
      const world = await portalWorld(h());
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ["keys:reveal"]);
      await h().post("/v2/policies.createPolicy", { name: "bob's key", effect: "DENY", condition: `activity.type == 'DECRYPT_KEY' && key.id == '${world.bob.keyId}'` }, world.ws.rootKey);
      expectErrorEnvelope(await portalCall(h(), "revealKey", { keyId: world.bob.keyId }, token), "NOT_FOUND");
    });
  },
  { vault: true },
);
