import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { executeRows } from "../../src/db/execute-rows.ts";
import { type Workspace, forEachDatabase } from "../harness.ts";
import { VERSIONS, type Version, callOperation, nextCursor } from "../custody/operations.ts";
import { errorMessage, expectErrorEnvelope } from "../security/envelope.ts";

const USER_ID = /^usr_[1-9A-HJ-NP-Za-km-z]{22}$/;

forEachDatabase("users", (h) => {
  const createUser = (v: Version, input: Record<string, unknown>, token: string) => callOperation(h(), v, "users.createUser", input, token);
  const getUser = (v: Version, userId: string, token: string) => callOperation(h(), v, "users.getUser", { userId }, token, { read: true });
  const deleteUser = (v: Version, userId: string, token: string) => callOperation(h(), v, "users.deleteUser", { userId }, token);
  const listUsers = (v: Version, input: Record<string, unknown>, token: string) => callOperation(h(), v, "users.listUsers", input, token, { read: true, list: "users" });

  async function newUser(ws: Workspace, name = "Bob"): Promise<string> {
    const res = await createUser("v2", { name }, ws.rootKey);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.data.userId;
  }

  describe.each(VERSIONS)("%s", (v) => {
    test("createUser, getUser, listUsers, deleteUser: the whole life of a user", async () => {
      const ws = await h().workspace();
      const created = await createUser(v, { name: "Alice", email: "alice@example.com", tags: ["security", "ops", "security"] }, ws.rootKey);
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      expect(Object.keys(created.data)).toEqual(["userId"]);
      const { userId } = created.data;
      expect(userId).toMatch(USER_ID);

      const got = await getUser(v, userId, ws.rootKey);
      expect(got.status).toBe(200);
      expect(got.data).toEqual({ userId, name: "Alice", email: "alice@example.com", tags: ["security", "ops"], createdAt: expect.any(Number) });
      // No email: none in the answer; no tags: [].
      const plain = await createUser(v, { name: "Carol" }, ws.rootKey);
      expect((await getUser(v, plain.data.userId, ws.rootKey)).data).toEqual({ userId: plain.data.userId, name: "Carol", tags: [], createdAt: expect.any(Number) });

      const listed = await listUsers(v, {}, ws.rootKey);
      expect(listed.status).toBe(200);
      // The bootstrap user comes first: creation order.
      expect(listed.data.map((u: { userId: string }) => u.userId)).toEqual([ws.userId, userId, plain.data.userId]);
      expect(listed.data[0]).toMatchObject({ userId: ws.userId, name: "Owner" });
      expect(nextCursor(v, listed)).toBeUndefined();

      const deleted = await deleteUser(v, userId, ws.rootKey);
      expect(deleted.status).toBe(200);
      expect(deleted.data).toEqual({});
      expectErrorEnvelope(await getUser(v, userId, ws.rootKey), "NOT_FOUND");
      expectErrorEnvelope(await deleteUser(v, userId, ws.rootKey), "NOT_FOUND");
      expect((await listUsers(v, {}, ws.rootKey)).data.map((u: { userId: string }) => u.userId)).toEqual([ws.userId, plain.data.userId]);
    });

    test("listUsers pages by limit and cursor, and every user appears once", async () => {
      const ws = await h().workspace();
      const made = [ws.userId];
      for (let i = 0; i < 4; i++) made.push(await newUser(ws, `u${i}`));
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const res = await listUsers(v, { limit: 2, ...(cursor !== undefined && { cursor }) }, ws.rootKey);
        expect(res.status).toBe(200);
        expect(res.data.length).toBeLessThanOrEqual(2);
        seen.push(...res.data.map((u: { userId: string }) => u.userId));
        cursor = nextCursor(v, res);
        if (cursor === undefined) break;
      }
      expect(seen).toEqual(made);
    });

    test("a user who still holds a live root key is not deleted (409), and is once the key is revoked", async () => {
      const ws = await h().workspace();
      const userId = await newUser(ws);
      const rk = await h().post("/v1/rootKeys.createRootKey", { name: "bob's", permissions: ["api.*.read_key"], userId }, ws.rootKey);
      expect(rk.status).toBe(200);
      const before = await h().snapshot();
      const refused = await deleteUser(v, userId, ws.rootKey);
      expectErrorEnvelope(refused, "CONFLICT");
      expect(errorMessage(refused.body)).toContain("still holds live root keys");
      expect(await h().snapshot()).toEqual(before);
      // The bootstrap user holds the workspace's own root key: the same.
      expectErrorEnvelope(await deleteUser(v, ws.userId, ws.rootKey), "CONFLICT");

      expect((await h().post("/v1/rootKeys.deleteRootKey", { keyId: rk.body.keyId }, ws.rootKey)).status).toBe(200);
      expect((await deleteUser(v, userId, ws.rootKey)).status).toBe(200);
    });

    test("another workspace's user answers exactly like a missing one, and is left alone", async () => {
      const a = await h().workspace();
      const b = await h().workspace();
      const aUser = await newUser(a);
      const missing = "usr_1Ghu6Z4qWmT8xYbN3cVd2K";
      const before = await h().snapshot();
      for (const call of [(id: string) => getUser(v, id, b.rootKey), (id: string) => deleteUser(v, id, b.rootKey)]) {
        const foreign = await call(aUser);
        const absent = await call(missing);
        expectErrorEnvelope(foreign, "NOT_FOUND");
        expect(errorMessage(foreign.body)).toBe(errorMessage(absent.body));
        expect(foreign.status).toBe(absent.status);
        expect(JSON.stringify(foreign.body)).not.toContain(aUser);
      }
      expect(JSON.stringify((await listUsers(v, {}, b.rootKey)).body)).not.toContain(aUser);
      expect(await h().snapshot()).toEqual(before);
    });

    test("bad input is a 400 in the version's envelope", async () => {
      const ws = await h().workspace();
      for (const input of [{}, { name: "" }, { name: "x", email: "not an email" }, { name: "x", tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, { name: "x", tags: [""] }, { name: "x".repeat(256) }]) {
        expectErrorEnvelope(await createUser(v, input, ws.rootKey), "BAD_REQUEST", JSON.stringify(input).slice(0, 60));
      }
      expectErrorEnvelope(await listUsers(v, { limit: 0 }, ws.rootKey), "BAD_REQUEST");
      expectErrorEnvelope(await listUsers(v, { limit: 101 }, ws.rootKey), "BAD_REQUEST");
      expectErrorEnvelope(await callOperation(h(), v, "users.getUser", {}, ws.rootKey, { read: true }), "BAD_REQUEST");
    });

    test("each operation needs its custody permission", async () => {
      const ws = await h().workspace();
      const userId = await newUser(ws);
      const reader = await h().rootKey(ws, ["custody.*.read_user"]);
      expect((await getUser(v, userId, reader.key)).status).toBe(200);
      for (const [res, permission] of [
        [await createUser(v, { name: "x" }, reader.key), "custody.*.create_user"],
        [await deleteUser(v, userId, reader.key), "custody.*.delete_user"],
        [await listUsers(v, {}, (await h().rootKey(ws, ["custody.*.create_user"])).key), "custody.*.read_user"],
      ] as const) {
        expectErrorEnvelope(res, "INSUFFICIENT_PERMISSIONS");
        expect(errorMessage(res.body)).toContain(permission);
      }
    });
  });

  test("deleteUser racing createRootKey for that user never leaves a live key with a deleted user", async () => {
    const ws = await h().workspace();
    const outcomes: string[] = [];
    for (let round = 0; round < 10; round++) {
      const userId = await newUser(ws, `racer ${round}`);
      const [made, deleted] = await Promise.all([
        h().post("/v1/rootKeys.createRootKey", { name: "race", permissions: ["api.*.read_key"], userId }, ws.rootKey),
        deleteUser("v2", userId, ws.rootKey),
      ]);
      // Either the key came first (the delete is refused) or the delete did (the key is refused).
      outcomes.push(`${made.status}/${deleted.status}`);
      expect([`200/409`, `404/200`], JSON.stringify([made.body, deleted.body])).toContain(`${made.status}/${deleted.status}`);
    }
    const orphans = await executeRows(h().db, sql`select r.id from root_keys r join users u on u.id = r.user_id where r.deleted_at is null and u.deleted_at is not null`);
    expect(orphans, outcomes.join(" ")).toEqual([]);
  });

  describe("root keys belong to users", () => {
    const listRootKeys = async (ws: Workspace) => (await h().get("/v1/rootKeys.listRootKeys", {}, ws.rootKey)).body.rootKeys as { id: string; userId: string }[];

    test("createRootKey gives the key to userId, by default to the caller's own user; listRootKeys shows it", async () => {
      const ws = await h().workspace();
      const bob = await newUser(ws);
      const named = await h().post("/v1/rootKeys.createRootKey", { name: "bob", permissions: ["rbac.*.create_root_key", "api.*.read_key"], userId: bob }, ws.rootKey);
      expect(named.status).toBe(200);
      const byDefault = await h().post("/v1/rootKeys.createRootKey", { name: "mine", permissions: ["api.*.read_key"] }, ws.rootKey);
      // A key made by Bob's key is Bob's too.
      const bobsChild = await h().post("/v1/rootKeys.createRootKey", { name: "bob's child", permissions: ["api.*.read_key"] }, named.body.key);
      expect(bobsChild.status).toBe(200);
      const owners = Object.fromEntries((await listRootKeys(ws)).map((k) => [k.id, k.userId]));
      expect(owners).toEqual({ [ws.rootKeyId]: ws.userId, [named.body.keyId]: bob, [byDefault.body.keyId]: ws.userId, [bobsChild.body.keyId]: bob });
    });

    test("a userId of another workspace, or of a deleted user, is 404 like a missing one, and makes no key", async () => {
      const a = await h().workspace();
      const b = await h().workspace();
      const aUser = await newUser(a);
      const gone = await newUser(b);
      expect((await deleteUser("v1", gone, b.rootKey)).status).toBe(200);
      const before = await h().snapshot();
      const answers = [];
      for (const userId of [aUser, gone, "usr_1Ghu6Z4qWmT8xYbN3cVd2K"]) {
        const res = await h().post("/v1/rootKeys.createRootKey", { name: "x", permissions: ["api.*.read_key"], userId }, b.rootKey);
        expectErrorEnvelope(res, "NOT_FOUND", userId);
        answers.push(errorMessage(res.body));
      }
      expect(new Set(answers).size).toBe(1);
      expect(await h().snapshot()).toEqual(before);
    });

    test("the calling root key's user is known on every call, from the database and from the root-key cache", async () => {
      const ws = await h().workspace();
      const bob = await newUser(ws);
      const bobsKey = await h().rootKey(ws, ["custody.*.create_user", "audit.*.read_log"], undefined, bob);
      // The first call loads the root key, the second finds it cached: both are Bob's.
      for (const name of ["first", "second"]) expect((await createUser("v1", { name }, bobsKey.key)).status).toBe(200);
      const logs = await callOperation(h(), "v2", "audit.listLogs", { event: "activity.completed", activityType: "CREATE_USER", rootKeyId: bobsKey.keyId }, bobsKey.key);
      expect(logs.data.map((e: { userId: string; details: { params: { name: string } } }) => [e.userId, e.details.params.name])).toEqual([
        [bob, "first"],
        [bob, "second"],
      ]);
    });
  });

  test("createUser and deleteUser are on the audit trail as activities: who, with which root key, whom, and how each ended (a refused one too)", async () => {
    const ws = await h().workspace();
    const created = await createUser("v1", { name: "Dora", tags: ["x"] }, ws.rootKey);
    const userId = created.body.userId as string;
    expect((await deleteUser("v2", userId, ws.rootKey)).status).toBe(200);
    expect((await deleteUser("v2", ws.userId, ws.rootKey)).status).toBe(409);
    const logs = await callOperation(h(), "v1", "audit.listLogs", {}, ws.rootKey, { read: true, list: "logs" });
    expect(logs.status).toBe(200);
    expect(logs.data.map((e: Record<string, unknown>) => [e.seq, e.event, e.activityType, e.userId, e.rootKeyId, e.details])).toEqual([
      [1, "activity.completed", "CREATE_USER", ws.userId, ws.rootKeyId, { operation: "users.createUser", params: { name: "Dora", tags: ["x"] }, resultStatus: 200, result: { userId } }],
      [2, "activity.completed", "DELETE_USER", ws.userId, ws.rootKeyId, { operation: "users.deleteUser", params: { userId }, resultStatus: 200, result: {} }],
      [
        3,
        "activity.failed",
        "DELETE_USER",
        ws.userId,
        ws.rootKeyId,
        { operation: "users.deleteUser", params: { userId: ws.userId }, resultStatus: 409, result: { code: "CONFLICT", message: expect.stringContaining("live root keys") } },
      ],
    ]);
    // The activities themselves say the same, with the answers.
    const activities = (await h().get("/v1/activities.listActivities", { type: "CREATE_USER" }, ws.rootKey)).body.activities;
    expect(activities.map((a: { status: string; result: unknown }) => [a.status, a.result])).toEqual([["COMPLETED", { status: 200, body: { userId } }]]);
  });
});

