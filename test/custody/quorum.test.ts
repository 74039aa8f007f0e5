import { beforeAll, describe, expect, test } from "vitest";
import { eq } from "drizzle-orm";
import { INTERRUPTED_AFTER_MS, endInterruptedActivities } from "../../src/activities/activities.ts";
import { verifyChain } from "../../src/audit/verify-chain.ts";
import { activities } from "../../src/db/schema.ts";
import { type Workspace, forEachDatabase, onTwoInstances } from "../harness.ts";
import { expectWithin } from "../cache/expect-within.ts";
import { type Person, person } from "./people.ts";

/**
 * The root quorum end to end through the HTTP API: seed 002's 2-of-2 co-signing. Raising the
 * threshold is one approval; afterwards whatever a quorum user starts waits for the other.
 */

/** A person with a root key of their own. */

forEachDatabase("root quorum (2 of 2)", (h) => {
  let ws: Workspace;
  let platform: Person;
  let customer: Person;
  let apiId: string;

  beforeAll(async () => {
    ws = await h().workspace();
    platform = await person(h(), ws);
    customer = await person(h(), ws);
    apiId = await h().createApi(ws, "quorum");
    await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, ws.rootKey);
    const raised = await h().post("/v1/workspaces.updateRootQuorum", { userIds: [platform.userId, customer.userId], threshold: 2 }, platform.rootKey);
    expect(raised.status, JSON.stringify(raised.body)).toBe(200); // threshold 1 still: it ran at once
  });

  const activity = async (p: Person, activityId: string) => (await h().get("/v1/activities.getActivity", { activityId }, p.rootKey)).body;

  test("createKey by a quorum user waits (202, nothing created) until the other approves; then the key exists and works, and its plaintext is the initiator's, once", async () => {
    const before = (await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey)).body.keys.length;
    const held = await h().post("/v1/keys.createKey", { apiId, name: "co-signed" }, customer.rootKey);
    expect(held.status).toBe(202);
    expect(held.body).toEqual({ activityId: expect.stringMatching(/^act_/), status: "CONSENSUS_NEEDED" });
    expect((await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey)).body.keys.length).toBe(before);

    const waiting = await activity(platform, held.body.activityId);
    expect(waiting).toMatchObject({ type: "CREATE_KEY", status: "CONSENSUS_NEEDED", params: { apiId, name: "co-signed" }, initiator: { userId: customer.userId } });
    expect(waiting.approvals.map((a: { userId: string }) => a.userId)).toEqual([customer.userId]);

    const approved = await h().post("/v1/activities.approveActivity", { activityId: held.body.activityId, digest: waiting.digest }, platform.rootKey);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ status: "COMPLETED", result: { status: 200, body: { keyId: expect.stringMatching(/^key_/), key: "[redacted]" } } });
    const keyId = approved.body.result.body.keyId;

    // The initiator sees the key once; the second read (and anyone else) sees it redacted.
    const first = await activity(customer, held.body.activityId);
    expect(first.result.body.keyId).toBe(keyId);
    expect(first.result.body.key).toMatch(/^[A-Za-z0-9_]+$/);
    expect(first.result.body.key).not.toBe("[redacted]");
    expect((await activity(customer, held.body.activityId)).result.body.key).toBe("[redacted]");
    expect((await h().verify(first.result.body.key)).body).toMatchObject({ valid: true, keyId });
  });

  test("a wrong digest, the initiator approving again, and a second approval after it ran are refused; nothing runs twice", async () => {
    const held = await h().post("/v1/apis.createApi", { name: "held" }, platform.rootKey);
    expect(held.status).toBe(202);
    const { digest } = await activity(platform, held.body.activityId);
    const wrong = await h().post("/v1/activities.approveActivity", { activityId: held.body.activityId, digest: "0".repeat(64) }, customer.rootKey);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toContain("digest");
    const again = await h().post("/v1/activities.approveActivity", { activityId: held.body.activityId, digest }, platform.rootKey);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("CONSENSUS_NEEDED"); // one person, one approval
    expect(again.body.approvals).toHaveLength(1);
    // Nor does the same person with another root key of theirs: quorum counts people.
    const secondKey = await h().rootKey(ws, ["*"], undefined, platform.userId);
    const sameUser = await h().post("/v1/activities.approveActivity", { activityId: held.body.activityId, digest }, secondKey.key);
    expect(sameUser.body.status).toBe("CONSENSUS_NEEDED");
    expect(sameUser.body.approvals).toHaveLength(1);
    const ran = await h().post("/v1/activities.approveActivity", { activityId: held.body.activityId, digest }, customer.rootKey);
    expect(ran.body.status).toBe("COMPLETED");
    const late = await h().post("/v1/activities.approveActivity", { activityId: held.body.activityId, digest }, customer.rootKey);
    expect(late.status).toBe(409);

    // The trail holds each step, in order, and its chain verifies.
    const trail = (await h().get("/v1/audit.listLogs", { activityType: "CREATE_API", limit: "100" }, ws.rootKey)).body.logs.filter((e: { activityId: string }) => e.activityId === held.body.activityId);
    expect(trail.map((e: { event: string; userId: string | null }) => [e.event, e.userId])).toEqual([
      ["activity.held", platform.userId],
      ["activity.approved", customer.userId],
      ["activity.started", null],
      ["activity.completed", null],
    ]);
    expect((await verifyChain(h().db, ws.workspaceId)).problem).toBeUndefined();
  });

  test("a rejected activity never runs and cannot be approved after", async () => {
    const held = await h().post("/v1/apis.createApi", { name: "rejected" }, customer.rootKey);
    const { digest } = await activity(customer, held.body.activityId);
    const rejected = await h().post("/v1/activities.rejectActivity", { activityId: held.body.activityId, digest }, platform.rootKey);
    expect(rejected.body.status).toBe("REJECTED");
    const approve = await h().post("/v1/activities.approveActivity", { activityId: held.body.activityId, digest }, platform.rootKey);
    expect(approve.status).toBe(409);
    expect((await activity(customer, held.body.activityId)).result).toBeUndefined();
  });

  test("a policy that would wait but cannot compile is refused now (400 naming the place), not held to fail after the approvals", async () => {
    const bad = await h().post("/v1/policies.createPolicy", { name: "broken", effect: "DENY", condition: "activity.type ==" }, customer.rootKey);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/condition.*line 1, column/);
    const good = await h().post("/v1/policies.createPolicy", { name: "fine", effect: "DENY", condition: "activity.type == 'NO_SUCH_ACTIVITY'" }, customer.rootKey);
    expect(good.status).toBe(202); // the quorum guards policies
  });

  test("20 concurrent approvals by 20 quorum-free users of a 2-of-2 activity: it runs exactly once", async () => {
    const held = await h().post("/v1/keys.createKey", { apiId, name: "raced" }, customer.rootKey);
    const { digest } = await activity(customer, held.body.activityId);
    const racers = [platform, ...(await Promise.all(Array.from({ length: 19 }, () => person(h(), ws))))];
    // Only `platform` completes the quorum; the others' approvals count for nothing but must not run it again.
    const answers = await Promise.all(racers.map((p) => h().post("/v1/activities.approveActivity", { activityId: held.body.activityId, digest }, p.rootKey)));
    for (const a of answers) expect([200, 409]).toContain(a.status);
    const listed = (await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey)).body.keys.filter((k: { name: string }) => k.name === "raced");
    expect(listed).toHaveLength(1);
    expect((await activity(platform, held.body.activityId)).status).toBe("COMPLETED");
  });

  describe("v2 envelope", () => {
    test("a held v2 createKey answers 202 in v2's envelope, and approving it through /v2/ runs it", async () => {
      const held = await h().post("/v2/keys.createKey", { apiId, name: "v2-held" }, customer.rootKey);
      expect(held.status).toBe(202);
      expect(held.body).toEqual({ meta: { requestId: expect.any(String) }, data: { activityId: expect.stringMatching(/^act_/), status: "CONSENSUS_NEEDED" } });
      const got = await h().post("/v2/activities.getActivity", { activityId: held.body.data.activityId }, platform.rootKey);
      const approved = await h().post("/v2/activities.approveActivity", { activityId: held.body.data.activityId, digest: got.body.data.digest }, platform.rootKey);
      expect(approved.body.data).toMatchObject({ status: "COMPLETED", result: { status: 200, body: { keyId: expect.any(String), key: "[redacted]" } } });
    });
  });

  test("another workspace's activity id answers 404 like a missing one", async () => {
    const other = await h().workspace();
    const held = await h().post("/v1/apis.createApi", { name: "mine" }, customer.rootKey);
    const theirs = await h().get("/v1/activities.getActivity", { activityId: held.body.activityId }, other.rootKey);
    const missing = await h().get("/v1/activities.getActivity", { activityId: "act_1Ghu6ZJ4nT8dWq2xLkR7vB" }, other.rootKey);
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.message).toBe(missing.body.error.message);
  });

  test("an activity a crashed process left EXECUTING is ended as INTERRUPTED by the sweep, once, and never runs", async () => {
    const held = await h().post("/v1/apis.createApi", { name: "claimed, then the process died" }, customer.rootKey);
    // What a crash between the claim and the run leaves behind: the claim, long ago, and nothing after.
    await h().db.update(activities).set({ status: "EXECUTING", updatedAt: Date.now() - INTERRUPTED_AFTER_MS - 1 }).where(eq(activities.id, held.body.activityId));
    expect(await endInterruptedActivities(h().db)).toBe(1);
    expect(await endInterruptedActivities(h().db)).toBe(0);
    const ended = await activity(platform, held.body.activityId);
    expect(ended).toMatchObject({ status: "FAILED", result: { status: 500, body: { code: "INTERRUPTED" } } });
    const trail = (await h().get("/v1/audit.listLogs", { activityType: "CREATE_API", limit: "100" }, ws.rootKey)).body.logs.filter((e: { activityId: string }) => e.activityId === held.body.activityId);
    expect(trail.map((e: { event: string }) => e.event)).toEqual(["activity.held", "activity.failed"]);
    expect((await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey)).status).toBe(200); // the workspace goes on
    expect((await h().post("/v1/activities.approveActivity", { activityId: held.body.activityId, digest: ended.digest }, platform.rootKey)).status).toBe(409);
  });

  test("an activity past its time cannot be approved; it reads EXPIRED", async () => {
    h().deps.activityTtlMs = 1;
    try {
      const held = await h().post("/v1/apis.createApi", { name: "too late" }, customer.rootKey);
      expect(held.status).toBe(202);
      await new Promise((r) => setTimeout(r, 10));
      const { digest, status } = await activity(platform, held.body.activityId);
      expect(status).toBe("EXPIRED");
      const late = await h().post("/v1/activities.approveActivity", { activityId: held.body.activityId, digest }, platform.rootKey);
      expect(late.status).toBe(409);
      expect(late.body.error.message).toContain("expired");
      expect((await activity(platform, held.body.activityId)).status).toBe("EXPIRED");
      // Listed as it reads: no longer among the waiting ones.
      const waiting = (await h().get("/v1/activities.listActivities", { status: "CONSENSUS_NEEDED" }, ws.rootKey)).body.activities.map((a: { activityId: string }) => a.activityId);
      const expired = (await h().get("/v1/activities.listActivities", { status: "EXPIRED" }, ws.rootKey)).body.activities.map((a: { activityId: string }) => a.activityId);
      expect(waiting).not.toContain(held.body.activityId);
      expect(expired).toContain(held.body.activityId);
    } finally {
      delete h().deps.activityTtlMs;
    }
  });

  test("the quorum guards its own change (two approvals), and root-key permissions come before it: a key that may not create keys is refused, not held", async () => {
    const limited = await person(h(), ws, ["api.*.read_key"]);
    const proposal = await h().post("/v1/workspaces.updateRootQuorum", { userIds: [platform.userId, customer.userId, limited.userId], threshold: 2 }, customer.rootKey);
    expect(proposal.status).toBe(202);
    expect((await h().get("/v1/workspaces.getRootQuorum", {}, ws.rootKey)).body.userIds).toHaveLength(2); // nothing ran yet
    const { digest } = await activity(customer, proposal.body.activityId);
    const approved = await h().post("/v1/activities.approveActivity", { activityId: proposal.body.activityId, digest }, platform.rootKey);
    expect(approved.body.status).toBe("COMPLETED");
    expect((await h().get("/v1/workspaces.getRootQuorum", {}, ws.rootKey)).body).toEqual({ userIds: [platform.userId, customer.userId, limited.userId], threshold: 2 });

    // A quorum user cannot be deleted while counted: the quorum must stay reachable.
    const revoke = await h().post("/v1/rootKeys.deleteRootKey", { keyId: limited.rootKeyId }, platform.rootKey);
    expect(revoke.status).toBe(202); // root keys are root-guarded: it waits for the quorum
    const refused = await h().post("/v1/keys.createKey", { apiId, name: "not allowed" }, limited.rootKey);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("INSUFFICIENT_PERMISSIONS");
    const waiting = (await h().get("/v1/activities.listActivities", { status: "CONSENSUS_NEEDED" }, ws.rootKey)).body.activities;
    expect(waiting.filter((a: { initiator: { rootKeyId: string } }) => a.initiator.rootKeyId === limited.rootKeyId)).toEqual([]);
  });
});

onTwoInstances("the root quorum across two instances", (a, b) => {
  test("raising the threshold on one instance holds the next change on the other at once (cached rules are told)", async () => {
    const ws = await a().workspace();
    const platform = await person(a(), ws);
    const customer = await person(a(), ws);
    // B reads (and caches) the workspace's rules: a change runs at once there.
    expect((await b().post("/v1/apis.createApi", { name: "before" }, customer.rootKey)).status).toBe(200);
    expect((await a().post("/v1/workspaces.updateRootQuorum", { userIds: [platform.userId, customer.userId], threshold: 2 }, platform.rootKey)).status).toBe(200);
    const took = await expectWithin(2000, async () => (await b().post("/v1/apis.createApi", { name: "after" }, customer.rootKey)).status === 202);
    console.log(`[custody] a quorum raised on instance A held changes on instance B after ${took.toFixed(0)} ms`);
  });
});
