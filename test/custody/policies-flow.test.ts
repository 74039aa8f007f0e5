import { beforeAll, describe, expect, test } from "vitest";
import { type Harness, type Workspace, forEachDatabase } from "../harness.ts";
import { openBundle, sealTo, targetKey } from "../jwe-target.ts";
import { type Person, approve, getActivity, person } from "./people.ts";

/**
 * Policies through the HTTP API, as a platform would set them up (seed 002): two root users at
 * threshold 1 write a decrypt policy and an export policy, then raise the root quorum to 2. From
 * then on createKey, a decrypt and an export each need the second user's approval.
 */



forEachDatabase(
  "policies and the 2-of-2 flow",
  (h) => {
    describe("staged 2-of-2: decrypt and export policies, then threshold 2", () => {
      let ws: Workspace;
      let platform: Person;
      let customer: Person;
      let apiId: string;
      let keyId: string;
      let key: string;

      beforeAll(async () => {
        ws = await h().workspace();
        platform = await person(h(), ws);
        customer = await person(h(), ws);
        apiId = await h().recoverableApi(ws);
        ({ keyId, key } = await h().createKey(ws, apiId, { recoverable: true, prefix: "sk" }));
        // Turnkey's forms and CEL's, one each: the engine reads them alike.
        const policies = [
          { name: "decrypt needs two", effect: "ALLOW", condition: `activity.type == 'DECRYPT_KEY' && api.id == '${apiId}'`, consensus: "approvers.count() >= 2" },
          { name: "export needs the platform", effect: "ALLOW", condition: "activity.type == 'EXPORT_KEY'", consensus: `approvers.any(u, u.id == '${platform.userId}') && size(approvers) >= 2` },
        ];
        for (const policy of policies) expect((await h().post("/v1/policies.createPolicy", policy, platform.rootKey)).status).toBe(200);
        const raised = await h().post("/v2/workspaces.updateRootQuorum", { userIds: [platform.userId, customer.userId], threshold: 2 }, customer.rootKey);
        expect(raised.status, JSON.stringify(raised.body)).toBe(200);
      });

      test("a decrypt by one user waits; the other's approval runs it, and the initiator reads the plaintext once", async () => {
        const held = await h().get("/v1/keys.getKey", { keyId, decrypt: "true" }, customer.rootKey);
        expect(held.status).toBe(202);
        const approved = await approve(h(), platform, held.body.activityId);
        expect(approved.body).toMatchObject({ type: "DECRYPT_KEY", status: "COMPLETED", result: { status: 200, body: { id: keyId, plaintext: "[redacted]" } } });
        expect((await getActivity(h(), customer, held.body.activityId)).result.body.plaintext).toBe(key);
        expect((await getActivity(h(), customer, held.body.activityId)).result.body.plaintext).toBe("[redacted]");
      });

      test("an export waits for the platform; the bundle opens with the target key and gives exactly the key", async () => {
        const target = await targetKey();
        const held = await h().post("/v2/keys.exportKey", { keyId, targetPublicKey: target.publicJwk }, customer.rootKey);
        expect(held.status).toBe(202);
        // The customer approving again changes nothing: one person, one approval.
        expect((await approve(h(), customer, held.body.data.activityId)).body.status).toBe("CONSENSUS_NEEDED");
        const approved = await approve(h(), platform, held.body.data.activityId);
        expect(approved.body.status).toBe("COMPLETED");
        expect(await openBundle(approved.body.result.body.exportBundle, target.privateKey)).toBe(key);
      });

      test("createKey by a quorum user waits too, and runs on the other's approval", async () => {
        const held = await h().post("/v1/keys.createKey", { apiId, name: "co-signed" }, platform.rootKey);
        expect(held.status).toBe(202);
        expect((await approve(h(), customer, held.body.activityId)).body).toMatchObject({ status: "COMPLETED", result: { status: 200 } });
      });
    });

    describe("policies without a quorum", () => {
      let ws: Workspace;
      let alice: Person;
      let apiA: string;
      let apiB: string;

      beforeAll(async () => {
        ws = await h().workspace();
        alice = await person(h(), ws);
        apiA = await h().recoverableApi(ws);
        apiB = await h().recoverableApi(ws);
        const held = { name: "deletes on A need two", effect: "ALLOW", condition: `activity.type == 'DELETE_KEY' && api.id == '${apiA}'`, consensus: "size(approvers) >= 2" };
        expect((await h().post("/v1/policies.createPolicy", held, ws.rootKey)).status).toBe(200);
      });

      test("a per-API condition holds deletes on API A and lets deletes on API B run", async () => {
        const onA = await h().createKey(ws, apiA);
        const onB = await h().createKey(ws, apiB);
        expect((await h().post("/v1/keys.deleteKey", { keyId: onA.keyId }, alice.rootKey)).status).toBe(202);
        expect((await h().post("/v1/keys.deleteKey", { keyId: onB.keyId }, alice.rootKey)).status).toBe(200);
        expect((await h().verify(onA.key)).body.valid).toBe(true);
        expect((await h().verify(onB.key)).body.valid).toBe(false);
      });

      test("a matching DENY wins over a matching ALLOW: 403 naming the policy, nothing deleted", async () => {
        const deny = { name: "never delete vip", effect: "DENY", condition: `activity.type == 'DELETE_KEY' && key.name == 'vip'` };
        const created = await h().post("/v2/policies.createPolicy", deny, ws.rootKey);
        const { keyId, key } = await h().createKey(ws, apiA, { name: "vip" });
        const refused = await h().post("/v1/keys.deleteKey", { keyId }, alice.rootKey);
        expect(refused.status).toBe(403);
        expect(refused.body.error.message).toContain(`"never delete vip" (${created.body.data.policyId})`);
        expect((await h().verify(key)).body.valid).toBe(true);
      });

      test("20 concurrent approvals of an activity needing two: it runs exactly once", async () => {
        const { keyId, key } = await h().createKey(ws, apiA);
        const held = await h().post("/v1/keys.deleteKey", { keyId }, alice.rootKey);
        const { digest } = await getActivity(h(), alice, held.body.activityId);
        const approvers = await Promise.all(Array.from({ length: 20 }, () => person(h(), ws)));
        const answers = await Promise.all(approvers.map((p) => h().post("/v1/activities.approveActivity", { activityId: held.body.activityId, digest }, p.rootKey)));
        for (const a of answers) expect([200, 409]).toContain(a.status);
        const done = await getActivity(h(), alice, held.body.activityId);
        expect(done.status).toBe("COMPLETED");
        expect((await h().verify(key)).body.valid).toBe(false);
        // The trail shows one start and one end, however many approved.
        const trail = (await h().get("/v1/audit.listLogs", { activityType: "DELETE_KEY", limit: "100" }, ws.rootKey)).body.logs.filter(
          (e: { activityId: string }) => e.activityId === held.body.activityId,
        );
        expect(trail.filter((e: { event: string }) => e.event === "activity.started")).toHaveLength(1);
        expect(trail.filter((e: { event: string }) => e.event === "activity.completed")).toHaveLength(1);
      });

      test("a DENY added while an activity waits: approving it is refused and it never runs", async () => {
        const { keyId, key } = await h().createKey(ws, apiA, { name: "late-deny" });
        const held = await h().post("/v1/keys.deleteKey", { keyId }, alice.rootKey);
        expect(held.status).toBe(202);
        await h().post("/v1/policies.createPolicy", { name: "freeze late-deny", effect: "DENY", condition: "key.name == 'late-deny'" }, ws.rootKey);
        const other = await person(h(), ws);
        const refused = await approve(h(), other, held.body.activityId);
        expect(refused.status).toBe(403);
        expect((await getActivity(h(), alice, held.body.activityId)).status).toBe("REJECTED");
        expect((await h().verify(key)).body.valid).toBe(true);
      });

      test("escrow: the caller's data opens with the exported private key after two approvals, and the export gives nothing before", async () => {
        const created = await h().post("/v1/escrow.createKey", { name: "vault of the caller" }, alice.rootKey);
        expect(created.status).toBe(200);
        const { escrowKeyId, publicKey } = created.body;
        const sealed = await sealTo(publicKey, "the caller's own secret");
        const policy = { name: "escrow exports need two", effect: "ALLOW", condition: `activity.type == 'EXPORT_ESCROW_KEY' && escrow_key.id == '${escrowKeyId}'`, consensus: "size(approvers) >= 2" };
        expect((await h().post("/v1/policies.createPolicy", policy, ws.rootKey)).status).toBe(200);
        const target = await targetKey();
        const held = await h().post("/v1/escrow.exportKey", { escrowKeyId, targetPublicKey: target.publicJwk }, alice.rootKey);
        expect(held.status).toBe(202);
        expect(JSON.stringify(held.body)).not.toContain("exportBundle");
        expect((await getActivity(h(), alice, held.body.activityId)).result).toBeUndefined(); // nothing ran
        const approved = await approve(h(), await person(h(), ws), held.body.activityId);
        expect(approved.body.status).toBe("COMPLETED");
        const privateJwk = JSON.parse(await openBundle(approved.body.result.body.exportBundle, target.privateKey));
        expect(await openBundle(sealed, privateJwk)).toBe("the caller's own secret");
      });

      test("a key without the route's permission is refused for that, not told which policy would refuse it", async () => {
        const readOnly = await person(h(), ws, ["api.*.read_key"]);
        const { keyId } = await h().createKey(ws, apiA, { name: "vip" });
        const refused = await h().post("/v1/keys.deleteKey", { keyId }, readOnly.rootKey);
        expect(refused.status).toBe(403);
        expect(refused.body.error.code).toBe("INSUFFICIENT_PERMISSIONS");
        expect(refused.body.error.message).not.toContain("policy");
      });

      test("a DENY whose expression fails matches everything (fail closed), yet cannot lock the workspace out of deleting it", async () => {
        // `recoverable` is absent from most requests: the expression fails, and a failing DENY denies.
        const trap = await h().post("/v1/policies.createPolicy", { name: "trap", effect: "DENY", condition: "activity.params.recoverable == true" }, ws.rootKey);
        expect(trap.status).toBe(200);
        expect((await h().post("/v1/apis.createApi", { name: "denied" }, alice.rootKey)).status).toBe(403);
        // Policies do not govern what the root quorum guards: removing the trap still works.
        expect((await h().post("/v1/policies.deletePolicy", { policyId: trap.body.policyId }, alice.rootKey)).status).toBe(200);
        expect((await h().post("/v1/apis.createApi", { name: "allowed again" }, alice.rootKey)).status).toBe(200);
      });
    });
  },
  { vault: true },
);
