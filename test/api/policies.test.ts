import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { executeRows } from "../../src/db/execute-rows.ts";
import { newId } from "../../src/ids.ts";
import { type PolicyInput, evaluatePolicies } from "../../src/policies/engine.ts";
import { MAX_POLICIES_PER_WORKSPACE, loadCompiledPolicies } from "../../src/policies/policies.ts";
import { expectWithin } from "../cache/expect-within.ts";
import { type Harness, type Workspace, forEachDatabase, onTwoInstances } from "../harness.ts";
import { errorMessage, expectErrorEnvelope, withoutRequestId } from "../security/envelope.ts";

const PER_API = { name: "decrypts of payments need two", effect: "ALLOW", condition: "activity.type == 'DECRYPT_KEY' && api.id == 'api_payments'", consensus: "approvers.count() >= 2" };

/** One operation in either version: v1 reads are GETs with a query, v2 always POSTs; the data without its envelope. */
async function call(h: Harness, version: "v1" | "v2", operation: string, input: Record<string, unknown>, token: string) {
  const read = operation.endsWith("getPolicy") || operation.endsWith("listPolicies");
  const path = `/${version}/policies.${operation}`;
  const res = version === "v1" && read ? await h.get(path, Object.fromEntries(Object.entries(input).map(([k, v]) => [k, String(v)])), token) : await h.post(path, input, token);
  return { res, data: version === "v2" ? res.body?.data : res.body };
}

/** A decrypt on the API PER_API names, approved by its initiator alone. */
const decrypt: PolicyInput = {
  activity: { type: "DECRYPT_KEY", params: {} },
  api: { id: "api_payments", name: "payments", recoveryEnabled: true },
  user: { id: "usr_1", name: "one", tags: [] },
  approvers: [{ id: "usr_1", name: "one", tags: [] }],
};

forEachDatabase("policies.* through HTTP", (h) => {
  describe.each(["v1", "v2"] as const)("%s", (version) => {
    test("create, get, list, update, delete: the stored policy as sent, 404 once deleted", async () => {
      const ws = await h().workspace();
      const created = await call(h(), version, "createPolicy", { ...PER_API, notes: "quorum for payments" }, ws.rootKey);
      expect(created.res.status, JSON.stringify(created.res.body)).toBe(200);
      const policyId = created.data.policyId as string;
      expect(policyId).toMatch(/^pol_[1-9A-HJ-NP-Za-km-z]{22}$/);

      const got = await call(h(), version, "getPolicy", { policyId }, ws.rootKey);
      expect(got.data).toEqual({ policyId, ...PER_API, notes: "quorum for payments", createdAt: expect.any(Number) });
      const listed = await call(h(), version, "listPolicies", {}, ws.rootKey);
      expect(version === "v1" ? listed.data.policies : listed.data).toEqual([got.data]);

      const updated = await call(h(), version, "updatePolicy", { policyId, effect: "DENY", consensus: null, notes: "" }, ws.rootKey);
      expect(updated.res.status, JSON.stringify(updated.res.body)).toBe(200);
      expect(updated.data).toEqual({});
      const after = (await call(h(), version, "getPolicy", { policyId }, ws.rootKey)).data;
      expect(after).toEqual({ policyId, name: PER_API.name, effect: "DENY", condition: PER_API.condition, createdAt: got.data.createdAt, updatedAt: expect.any(Number) });

      expect((await call(h(), version, "deletePolicy", { policyId }, ws.rootKey)).res.status).toBe(200);
      for (const [operation, input] of [
        ["getPolicy", { policyId }],
        ["deletePolicy", { policyId }],
        ["updatePolicy", { policyId, name: "again" }],
      ] as const) {
        expectErrorEnvelope((await call(h(), version, operation, input, ws.rootKey)).res, "NOT_FOUND", operation);
      }
    });

    test("a parse or type error is a 400 naming the expression and its position, and nothing is stored", async () => {
      const ws = await h().workspace();
      const before = await h().snapshot();
      const cases = [
        [{ ...PER_API, condition: "activity.type == " }, /condition is not valid CEL at line 1, column 18/],
        [{ ...PER_API, consensus: "approvers.count() >=\n 2 &&" }, /consensus is not valid CEL at line 2, column 6/],
        [{ ...PER_API, condition: "activity.kind == 'x'" }, /condition is not valid CEL at line 1, column 10: No such key: kind/],
        [{ ...PER_API, condition: "size(approvers)" }, /condition must be a boolean expression/],
        [{ ...PER_API, condition: "process.exit(1)" }, /condition is not valid CEL/],
        [{ ...PER_API, effect: "MAYBE" }, /effect/],
      ] as const;
      for (const [body, message] of cases) {
        const { res } = await call(h(), version, "createPolicy", body, ws.rootKey);
        expectErrorEnvelope(res, "BAD_REQUEST", JSON.stringify(body));
        expect(JSON.stringify(res.body)).toMatch(message);
      }
      expect(await h().snapshot()).toEqual(before);
    });

    test("an update to an invalid expression is refused and leaves the policy as it was", async () => {
      const ws = await h().workspace();
      const { policyId } = (await call(h(), version, "createPolicy", PER_API, ws.rootKey)).data;
      const before = (await call(h(), version, "getPolicy", { policyId }, ws.rootKey)).data;
      const { res } = await call(h(), version, "updatePolicy", { policyId, name: "renamed", consensus: "approvers.count( >= 2" }, ws.rootKey);
      expectErrorEnvelope(res, "BAD_REQUEST");
      expect(errorMessage(res.body)).toMatch(/^The consensus is not valid CEL at line 1, column \d+/);
      expect((await call(h(), version, "getPolicy", { policyId }, ws.rootKey)).data).toEqual(before);
    });

    test("another workspace's policy answers exactly like a missing one, and changes nothing", async () => {
      const a = await h().workspace();
      const b = await h().workspace();
      const { policyId } = (await call(h(), version, "createPolicy", PER_API, a.rootKey)).data;
      const before = await h().snapshot();
      for (const [operation, extra] of [
        ["getPolicy", {}],
        ["updatePolicy", { effect: "DENY" }],
        ["deletePolicy", {}],
      ] as const) {
        const foreign = await call(h(), version, operation, { policyId, ...extra }, b.rootKey);
        const missing = await call(h(), version, operation, { policyId: newId("pol"), ...extra }, b.rootKey);
        expectErrorEnvelope(foreign.res, "NOT_FOUND", operation);
        expect(withoutRequestId(foreign.res.body), operation).toEqual(withoutRequestId(missing.res.body));
        expect(JSON.stringify(foreign.res.body)).not.toContain(policyId);
      }
      expect(await h().snapshot()).toEqual(before);
      const listedByB = await call(h(), version, "listPolicies", {}, b.rootKey);
      expect(JSON.stringify(listedByB.data)).not.toContain(policyId);
    });

    test("each operation needs its custody permission, and a refusal names it", async () => {
      const ws = await h().workspace();
      const { policyId } = (await call(h(), version, "createPolicy", PER_API, ws.rootKey)).data;
      const reader = await h().rootKey(ws, ["custody.*.read_policy"]);
      expect((await call(h(), version, "getPolicy", { policyId }, reader.key)).res.status).toBe(200);
      for (const [operation, input, permission] of [
        ["createPolicy", PER_API, "custody.*.create_policy"],
        ["updatePolicy", { policyId, name: "x" }, "custody.*.update_policy"],
        ["deletePolicy", { policyId }, "custody.*.delete_policy"],
      ] as const) {
        const { res } = await call(h(), version, operation, input, reader.key);
        expectErrorEnvelope(res, "INSUFFICIENT_PERMISSIONS", operation);
        expect(errorMessage(res.body)).toContain(permission);
      }
      const writer = await h().rootKey(ws, ["custody.*.create_policy"]);
      expect(errorMessage((await call(h(), version, "listPolicies", {}, writer.key)).res.body)).toContain("custody.*.read_policy");
    });
  });

  test("lists page by limit and cursor in creation order, in both versions", async () => {
    const ws = await h().workspace();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await call(h(), "v2", "createPolicy", { ...PER_API, name: `p${i}` }, ws.rootKey)).data.policyId);
    const v1Pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = (await call(h(), "v1", "listPolicies", { limit: 2, ...(cursor && { cursor }) }, ws.rootKey)).data;
      v1Pages.push(page.policies.map((p: { policyId: string }) => p.policyId));
      cursor = page.cursor;
    } while (cursor);
    expect(v1Pages).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
    const v2First = await call(h(), "v2", "listPolicies", { limit: 3 }, ws.rootKey);
    expect(v2First.data.map((p: { policyId: string }) => p.policyId)).toEqual(ids.slice(0, 3));
    expect(v2First.res.body.pagination).toEqual({ hasMore: true, cursor: ids[2] });
    const v2Rest = await call(h(), "v2", "listPolicies", { limit: 3, cursor: ids[2] }, ws.rootKey);
    expect(v2Rest.res.body.pagination).toEqual({ hasMore: false });
  });

  test(`a workspace holds at most ${MAX_POLICIES_PER_WORKSPACE} policies: exactly, even when created concurrently`, async () => {
    const ws = await h().workspace();
    for (let i = 0; i < MAX_POLICIES_PER_WORKSPACE - 5; i++) await call(h(), "v1", "createPolicy", { ...PER_API, name: `p${i}` }, ws.rootKey);
    const racing = await Promise.all(Array.from({ length: 12 }, (_, i) => call(h(), i % 2 ? "v1" : "v2", "createPolicy", { ...PER_API, name: `race${i}` }, ws.rootKey)));
    expect(racing.filter((r) => r.res.status === 200)).toHaveLength(5);
    for (const refused of racing.filter((r) => r.res.status !== 200)) {
      expectErrorEnvelope(refused.res, "CONFLICT");
      expect(errorMessage(refused.res.body)).toContain(`${MAX_POLICIES_PER_WORKSPACE} policies`);
    }
    const [row] = await executeRows<{ n: number }>(h().db, sql`select count(*)::int as n from policies where workspace_id = ${ws.workspaceId}`);
    expect(row!.n).toBe(MAX_POLICIES_PER_WORKSPACE);
  });

  describe("loadCompiledPolicies", () => {
    test("gives the workspace's policies compiled, from the cache until a change through the API", async () => {
      const ws = await h().workspace();
      const other = await h().workspace();
      await call(h(), "v1", "createPolicy", { ...PER_API, name: "other's" }, other.rootKey);
      expect(await loadCompiledPolicies(h().deps, ws.workspaceId)).toEqual([]);
      const { policyId } = (await call(h(), "v1", "createPolicy", PER_API, ws.rootKey)).data;
      // Cached: the same compiled array again, once the create's own change notice (PostgreSQL) has come by.
      let first: Awaited<ReturnType<typeof loadCompiledPolicies>> | undefined;
      await expectWithin(5000, async () => first === (first = await loadCompiledPolicies(h().deps, ws.workspaceId)));
      expect(first!.map((p) => [p.id, p.effect])).toEqual([[policyId, "ALLOW"]]);
      expect(evaluatePolicies(first!, decrypt)).toMatchObject({ allowMatched: true, consensusMet: false });

      await call(h(), "v2", "updatePolicy", { policyId, consensus: "" }, ws.rootKey);
      const updated = await loadCompiledPolicies(h().deps, ws.workspaceId);
      expect(evaluatePolicies(updated, decrypt)).toMatchObject({ allowMatched: true, consensusMet: true });
      await call(h(), "v1", "deletePolicy", { policyId }, ws.rootKey);
      expect(await loadCompiledPolicies(h().deps, ws.workspaceId)).toEqual([]);
    });

    test("a stored policy that no longer compiles still controls, failing closed", async () => {
      const ws = await h().workspace();
      const id = newId("pol");
      await h().db.execute(
        sql`insert into policies (id, workspace_id, name, effect, condition, created_at) values (${id}, ${ws.workspaceId}, 'legacy', 'DENY', 'user.email.matches(''x'')', ${Date.now()})`,
      );
      h().deps.policyCache?.forgetWorkspace(ws.workspaceId);
      const [legacy] = await loadCompiledPolicies(h().deps, ws.workspaceId);
      expect(evaluatePolicies([legacy!], decrypt).denied).toEqual({ policyId: id, name: "legacy" });
    });
  });
});

onTwoInstances("policies on two instances", (a, b) => {
  test("a change through one instance reaches the other's cache of compiled policies", async () => {
    const ws: Workspace = await a().workspace();
    const { policyId } = (await call(a(), "v1", "createPolicy", PER_API, ws.rootKey)).data;
    const consensusMet = async () => evaluatePolicies(await loadCompiledPolicies(b().deps, ws.workspaceId), decrypt).consensusMet;
    await expectWithin(5000, async () => (await loadCompiledPolicies(b().deps, ws.workspaceId)).length === 1);
    expect(await consensusMet()).toBe(false);
    let cached: Awaited<ReturnType<typeof loadCompiledPolicies>> | undefined;
    await expectWithin(5000, async () => cached === (cached = await loadCompiledPolicies(b().deps, ws.workspaceId))); // b holds it

    await call(a(), "v2", "updatePolicy", { policyId, consensus: "approvers.count() >= 1" }, ws.rootKey);
    await expectWithin(5000, consensusMet);
    await call(a(), "v1", "deletePolicy", { policyId }, ws.rootKey);
    await expectWithin(5000, async () => (await loadCompiledPolicies(b().deps, ws.workspaceId)).length === 0);
  });
});
