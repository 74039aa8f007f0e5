import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, test } from "vitest";
import { chainAllPending } from "../../src/audit/chain.ts";
import { activities, auditLog, portalSessions } from "../../src/db/schema.ts";
import type { Logger } from "pino";
import { createLogger } from "../../src/logger.ts";
import { approve, getActivity, person, type Person } from "../custody/people.ts";
import { forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope } from "../security/envelope.ts";
import { type PortalWorld, portalCall, portalWorld, sessionToken, withoutRequestId } from "./fixtures.ts";

/**
 * A policy can require approval for portal reveals and rerolls: the end user's request is held
 * (202), the provider approves it, it runs as the session then is, and only that session
 * collects the answer, once, with portal.getActivity. Never the plaintext in the database, the
 * trail or the logs; never another session's, identity's or workspace's activity.
 */
const MISSING = "act_1Ghu6ZbT4nQ8wXmR2kVc7J";

forEachDatabase(
  "portal approvals",
  (h) => {
    const lines: string[] = [];
    let saved: Logger;
    beforeAll(() => {
      saved = h().deps.logger;
      h().deps.logger = createLogger({ logLevel: "trace" }, { isTTY: false, write: (line: string) => lines.push(line) > 0 });
    });
    afterAll(() => {
      h().deps.logger = saved;
    });

    /** A portal world whose reveals (or rerolls) through a portal need `approver`'s approval. */
    async function heldWorld(type: "DECRYPT_KEY" | "REROLL_KEY" | "CREATE_KEY" = "DECRYPT_KEY"): Promise<{ world: PortalWorld; approver: Person; token: string }> {
      const world = await portalWorld(h());
      const approver = await person(h(), world.ws);
      const policy = {
        name: "portal needs the provider",
        effect: "ALLOW",
        condition: `activity.type == '${type}' && has(activity.params.portalId)`,
        consensus: `approvers.any(u, u.id == '${approver.userId}')`,
      };
      expect((await h().post("/v2/policies.createPolicy", policy, world.ws.rootKey)).status).toBe(200);
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice");
      return { world, approver, token };
    }

    const poll = (activityId: string, token: string) => portalCall(h(), "getActivity", { activityId }, token);
    const held = async (token: string, operation: string, body: unknown): Promise<string> => {
      const res = await portalCall(h(), operation, body, token);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.data).toEqual({ activityId: expect.stringMatching(/^act_/), status: "CONSENSUS_NEEDED" });
      return res.body.data.activityId;
    };
    const row = async (activityId: string) => (await h().db.select().from(activities).where(eq(activities.id, activityId)))[0]!;
    const trail = async (workspaceId: string) => {
      await chainAllPending(h().db);
      return h().db.select().from(auditLog).where(eq(auditLog.workspaceId, workspaceId));
    };

    test("the user whose root key minted the session does not approve the end user's request by asking for it: they approve it like anyone", async () => {
      const world = await portalWorld(h());
      const minter: Person = { userId: world.ws.userId, rootKey: world.ws.rootKey, rootKeyId: world.ws.rootKeyId };
      const policy = {
        name: "portal reveals need the owner",
        effect: "ALLOW",
        condition: "activity.type == 'DECRYPT_KEY' && has(activity.params.portalId)",
        consensus: `approvers.any(u, u.id == '${minter.userId}')`,
      };
      expect((await h().post("/v2/policies.createPolicy", policy, world.ws.rootKey)).status).toBe(200);
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice");
      const { keyId, key } = world.alice.recoverable;
      const activityId = await held(token, "revealKey", { keyId }); // not run at once on the minter's behalf
      expect((await getActivity(h(), minter, activityId)).approvals ?? []).toEqual([]);
      expect((await approve(h(), minter, activityId)).status).toBe(200);
      const collected = await poll(activityId, token);
      expect(collected.body.data).toMatchObject({ status: "COMPLETED", result: { keyId, plaintext: key } });
    });

    test("a held reveal: 202, waiting with no plaintext, approved, then collected once by its session; nowhere else", async () => {
      const { world, approver, token } = await heldWorld();
      const { keyId, key } = world.alice.recoverable;
      const activityId = await held(token, "revealKey", { keyId });

      const waiting = await poll(activityId, token);
      expect(waiting.status).toBe(200);
      expect(waiting.body.data).toMatchObject({ activityId, operation: "portal.revealKey", keyId, status: "CONSENSUS_NEEDED" });
      expect(waiting.body.data.result).toBeUndefined();
      expect(waiting.headers.get("cache-control")).toBe("no-store");

      const approved = await approve(h(), approver, activityId);
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);
      expect(approved.body).toMatchObject({ type: "DECRYPT_KEY", status: "COMPLETED", result: { status: 200, body: { keyId, plaintext: "[redacted]" } } });
      // The minting root key is the activity's initiator on record, but the answer is sealed for the session: it reads it redacted and leaves it.
      const byMinter = await h().post("/v2/activities.getActivity", { activityId }, world.ws.rootKey);
      expect(byMinter.body.data).toMatchObject({ status: "COMPLETED", result: { body: { plaintext: "[redacted]" } } });
      expect(JSON.stringify(byMinter.body)).not.toContain(key);
      // Nor can a root key call the session's route.
      expectErrorEnvelope(await poll(activityId, world.ws.rootKey), "UNAUTHORIZED");

      const collected = await poll(activityId, token);
      expect(collected.status).toBe(200);
      expect(collected.headers.get("cache-control")).toBe("no-store");
      expect(collected.body.data).toMatchObject({ activityId, status: "COMPLETED", result: { keyId, plaintext: key } });
      const again = await poll(activityId, token);
      expect(again.body.data).toMatchObject({ activityId, status: "COMPLETED", alreadyCollected: true });
      expect(again.body.data.result).toBeUndefined();
      expect(JSON.stringify(again.body)).not.toContain(key);

      // What rests: the activity without its answer or its seal, the trail, the logs: no plaintext, no access token.
      const stored = await row(activityId);
      expect(stored).toMatchObject({ status: "COMPLETED", resultSealed: null, sealPrivateKey: null, input: null });
      const entries = (await trail(world.ws.workspaceId)).filter((e) => e.activityId === activityId);
      expect(entries.map((e) => e.event)).toEqual(["activity.held", "activity.approved", "activity.started", "activity.completed"]);
      const dump = JSON.stringify(await h().dump());
      for (const secret of [key, token]) {
        expect(dump).not.toContain(secret);
        expect(lines.join("\n")).not.toContain(secret);
      }
      expect(lines.length).toBeGreaterThan(0);
    });

    test("another session of the same end user, another end user's, another workspace's, a missing id: one and the same 404", async () => {
      const { world, approver, token } = await heldWorld();
      const activityId = await held(token, "revealKey", { keyId: world.alice.recoverable.keyId });
      const other = await portalWorld(h());
      const strangers = {
        "alice's second session": await sessionToken(h(), world.ws.rootKey, world.portalId, "alice"),
        "bob's session": await sessionToken(h(), world.ws.rootKey, world.portalId, "bob"),
        "another workspace's alice": await sessionToken(h(), other.ws.rootKey, other.portalId, "alice"),
      };
      // An activity of the provider's own (a root key's, not a portal's) is no session's either.
      const own = await h().post("/v2/apis.createApi", { name: "provider's" }, world.ws.rootKey);
      const ownActivity = (await h().db.select().from(activities).where(and(eq(activities.workspaceId, world.ws.workspaceId), eq(activities.type, "CREATE_API"))))[0]!.id;
      expect(own.status).toBe(200);
      const check = async (when: string) => {
        const missing = await poll(MISSING, token);
        expectErrorEnvelope(missing, "NOT_FOUND");
        for (const [label, stranger] of Object.entries(strangers)) {
          expect(withoutRequestId(await poll(activityId, stranger)).replace(activityId, MISSING), `${when}: ${label}`).toBe(withoutRequestId(missing));
        }
        expect(withoutRequestId(await poll(ownActivity, token)).replace(ownActivity, MISSING), `${when}: a root key's activity`).toBe(withoutRequestId(missing));
      };
      await check("waiting");
      expect((await approve(h(), approver, activityId)).body.status).toBe("COMPLETED");
      await check("completed");
      // None of them took it: the session that started it still collects it.
      expect((await poll(activityId, token)).body.data.result).toEqual({ keyId: world.alice.recoverable.keyId, plaintext: world.alice.recoverable.key });
    });

    test("scope and key ownership come before the policy: another end user's key is a 404, never held", async () => {
      const { world, token } = await heldWorld();
      expectErrorEnvelope(await portalCall(h(), "revealKey", { keyId: world.bob.keyId }, token), "NOT_FOUND");
      const noScope = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ["keys:read"]);
      expectErrorEnvelope(await portalCall(h(), "revealKey", { keyId: world.alice.recoverable.keyId }, noScope), "INSUFFICIENT_PERMISSIONS");
      const waiting = await h().db.select().from(activities).where(and(eq(activities.workspaceId, world.ws.workspaceId), eq(activities.status, "CONSENSUS_NEEDED")));
      expect(waiting).toEqual([]);
    });

    test("a DENY beside the approval policy still refuses, 403, and nothing waits", async () => {
      const { world, token } = await heldWorld();
      const deny = { name: "no reveals", effect: "DENY", condition: "activity.type == 'DECRYPT_KEY' && has(activity.params.portalId)" };
      expect((await h().post("/v2/policies.createPolicy", deny, world.ws.rootKey)).status).toBe(200);
      expectErrorEnvelope(await portalCall(h(), "revealKey", { keyId: world.alice.recoverable.keyId }, token), "FORBIDDEN");
      const waiting = await h().db.select().from(activities).where(and(eq(activities.workspaceId, world.ws.workspaceId), eq(activities.status, "CONSENSUS_NEEDED")));
      expect(waiting).toEqual([]);
    });

    test("a rejected reveal reads REJECTED and never runs; an expired one reads EXPIRED", async () => {
      const { world, approver, token } = await heldWorld();
      const { keyId, key } = world.alice.recoverable;
      const rejected = await held(token, "revealKey", { keyId });
      const { digest } = await getActivity(h(), approver, rejected);
      expect((await h().post("/v1/activities.rejectActivity", { activityId: rejected, digest }, approver.rootKey)).status).toBe(200);
      const read = await poll(rejected, token);
      expect(read.body.data).toMatchObject({ status: "REJECTED" });
      expect(JSON.stringify(read.body)).not.toContain(key);
      expect((await approve(h(), approver, rejected)).status).toBe(409);
      expect(await row(rejected)).toMatchObject({ status: "REJECTED", resultStatus: null, resultSealed: null });
      const events = (await trail(world.ws.workspaceId)).filter((e) => e.activityId === rejected).map((e) => e.event);
      expect(events).toEqual(["activity.held", "activity.rejected"]);

      const expired = await held(token, "revealKey", { keyId });
      await h().db.update(activities).set({ expiresAt: Date.now() - 1 }).where(eq(activities.id, expired));
      expect((await poll(expired, token)).body.data).toMatchObject({ status: "EXPIRED" });
      expect((await approve(h(), approver, expired)).status).toBe(409);
    });

    test("approved after its session ended (expired; identity, portal or minting root key deleted): FAILED, nothing revealed", async () => {
      const ends: [string, (world: PortalWorld, minter: { keyId: string }) => Promise<void>][] = [
        ["the session expired", async (world) => {
          await h().db.update(portalSessions).set({ expiresAt: Date.now() - 1 }).where(eq(portalSessions.workspaceId, world.ws.workspaceId));
        }],
        ["its identity was deleted", async (world) => {
          expect((await h().post("/v2/identities.deleteIdentity", { identity: "alice" }, world.ws.rootKey)).status).toBe(200);
        }],
        ["its portal was deleted", async (world) => {
          expect((await h().post("/v2/portal.deletePortal", { portalId: world.portalId }, world.ws.rootKey)).status).toBe(200);
        }],
        ["its minting root key was deleted", async (world, minter) => {
          expect((await h().post("/v1/rootKeys.deleteRootKey", { keyId: minter.keyId }, world.ws.rootKey)).status).toBe(200);
        }],
      ];
      for (const [label, end] of ends) {
        const world = await portalWorld(h());
        const approver = await person(h(), world.ws);
        const policy = { name: "held", effect: "ALLOW", condition: "activity.type == 'DECRYPT_KEY' && has(activity.params.portalId)", consensus: `approvers.any(u, u.id == '${approver.userId}')` };
        expect((await h().post("/v2/policies.createPolicy", policy, world.ws.rootKey)).status).toBe(200);
        const minter = await h().rootKey(world.ws, ["*"]);
        const token = await sessionToken(h(), minter.key, world.portalId, "alice");
        const activityId = await held(token, "revealKey", { keyId: world.alice.recoverable.keyId });
        await end(world, minter);
        const approved = await approve(h(), approver, activityId);
        expect(approved.body, label).toMatchObject({ status: "FAILED", result: { status: 401, body: { code: "UNAUTHORIZED", message: expect.stringMatching(/portal session ended/) } } });
        expect(await row(activityId), label).toMatchObject({ status: "FAILED", resultSealed: null, input: null });
        // The session opens nothing any more.
        expectErrorEnvelope(await poll(activityId, token), "UNAUTHORIZED", label);
        expect(JSON.stringify(await h().dump()), label).not.toContain(world.alice.recoverable.key);
        expect(lines.join("\n"), label).not.toContain(world.alice.recoverable.key);
      }
    });

    test("a held reroll: the new key is collected once (with the cookie too); the old one keeps working for its grace", async () => {
      const { world, approver, token } = await heldWorld("REROLL_KEY");
      const { keyId, key: oldKey } = world.alice.plain;
      const activityId = await held(token, "rerollKey", { keyId, expiration: 3_600_000 });
      expect((await poll(activityId, token)).body.data).toMatchObject({ operation: "portal.rerollKey", keyId, status: "CONSENSUS_NEEDED" });
      expect((await h().verify(oldKey)).body.valid).toBe(true);
      expect((await approve(h(), approver, activityId)).body).toMatchObject({ type: "REROLL_KEY", status: "COMPLETED", result: { status: 200, body: { key: "[redacted]" } } });

      const byCookie = (headers: Record<string, string> = {}) =>
        h().call("POST", "/v2/portal.getActivity", { body: { activityId }, headers: { Cookie: `portal_session=${token}`, ...headers } });
      expectErrorEnvelope(await byCookie({ Origin: "https://evil.example" }), "FORBIDDEN");
      const collected = await byCookie({ Origin: "http://localhost", "Sec-Fetch-Site": "same-origin" });
      expect(collected.status, JSON.stringify(collected.body)).toBe(200);
      const fresh = collected.body.data.result as { keyId: string; key: string };
      expect(fresh.keyId).toMatch(/^key_/);
      expect(fresh.keyId).not.toBe(keyId);
      expect((await poll(activityId, token)).body.data).toMatchObject({ status: "COMPLETED", alreadyCollected: true });

      for (const key of [fresh.key, oldKey]) expect((await h().verify(key)).body.valid).toBe(true);
      expect(JSON.stringify(await h().dump())).not.toContain(fresh.key);
      expect(lines.join("\n")).not.toContain(fresh.key);
    });

    test("a held create: nothing is made until approved, then the new key is the end user's and is collected once", async () => {
      const { world, approver, token } = await heldWorld("CREATE_KEY");
      const before = await portalCall(h(), "listKeys", { apiId: world.apiId }, token);
      const activityId = await held(token, "createKey", { apiId: world.apiId, name: "held" });
      expect((await poll(activityId, token)).body.data).toMatchObject({ operation: "portal.createKey", status: "CONSENSUS_NEEDED" });
      expect((await portalCall(h(), "listKeys", { apiId: world.apiId }, token)).body.data).toHaveLength(before.body.data.length);
      expect((await approve(h(), approver, activityId)).body).toMatchObject({ type: "CREATE_KEY", status: "COMPLETED" });
      const collected = await poll(activityId, token);
      const made = collected.body.data.result as { keyId: string; key: string };
      expect(made.keyId).toMatch(/^key_/);
      expect((await h().verify(made.key)).body).toMatchObject({ valid: true, keyId: made.keyId, ownerId: "alice" });
      expect((await poll(activityId, token)).body.data).toMatchObject({ status: "COMPLETED", alreadyCollected: true });
      expect(JSON.stringify(await h().dump())).not.toContain(made.key);
    });

    test("bad input: a malformed activityId is a 400; no session is a 401", async () => {
      const { token } = await heldWorld();
      expectErrorEnvelope(await poll("", token), "BAD_REQUEST");
      expectErrorEnvelope(await portalCall(h(), "getActivity", {}, token), "BAD_REQUEST");
      expectErrorEnvelope(await poll(MISSING, "pts_made_up"), "UNAUTHORIZED");
      expectErrorEnvelope(await h().post("/v2/portal.getActivity", { activityId: MISSING }), "UNAUTHORIZED");
    });
  },
  { vault: true },
);
