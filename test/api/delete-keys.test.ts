import { expect, test } from "vitest";
import { forEachDatabase } from "../harness.ts";
import { expectError } from "./expect-error.ts";

forEachDatabase("keys.deleteKey / apis.deleteKeys", (h) => {
  const rowsOf = async (table: string, keyId: string) =>
    (await h().snapshot())[table]!.filter((r: any) => (table === "keys" ? r.id : table === "ratelimit_windows" ? r.subject_id : r.key_id) === keyId) as Record<string, unknown>[];

  test("deleteKey (soft): NOT_FOUND at once, gone from getKey and listKeys, the row kept with deleted_at", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { keyId, key } = await h().createKey(ws, apiId);
    const keep = await h().createKey(ws, apiId);
    const res = await h().post("/v1/keys.deleteKey", { keyId }, ws.rootKey);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect((await h().verify(key)).body.code).toBe("NOT_FOUND");
    expectError(await h().get("/v1/keys.getKey", { keyId }, ws.rootKey), 404, "NOT_FOUND");
    const list = await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey);
    expect(list.body).toMatchObject({ total: 1, keys: [{ id: keep.keyId }] });
    const [row] = await rowsOf("keys", keyId);
    expect(row!.deleted_at).not.toBeNull();
    expectError(await h().post("/v1/keys.deleteKey", { keyId }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().post("/v1/keys.deleteKey", { keyId, permanent: true }, ws.rootKey), 404, "NOT_FOUND");
    expect((await h().verify(keep.key)).body.code).toBe("VALID");
  });

  test("deleteKey (permanent): the row and its permissions, roles and rate-limit windows are removed", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { keyId, key } = await h().createKey(ws, apiId, { roles: ["r"], permissions: ["p"], ratelimit: { limit: 5, duration: 60_000 } });
    expect((await h().verify(key)).body.code).toBe("VALID");
    for (const table of ["keys", "key_roles", "key_permissions", "ratelimit_windows"]) expect(await rowsOf(table, keyId), table).toHaveLength(1);
    expect((await h().post("/v1/keys.deleteKey", { keyId, permanent: true }, ws.rootKey)).status).toBe(200);
    for (const table of ["keys", "key_roles", "key_permissions", "ratelimit_windows"]) expect(await rowsOf(table, keyId), table).toHaveLength(0);
    expect((await h().verify(key)).body.code).toBe("NOT_FOUND");
    expectError(await h().post("/v1/keys.deleteKey", { keyId, permanent: true }, ws.rootKey), 404, "NOT_FOUND");
  });

  test("deleteKey errors: unknown and foreign keys 404 (the foreign one survives), delete_key required", async () => {
    const ws = await h().workspace();
    const other = await h().workspace();
    const apiId = await h().createApi(ws);
    const { keyId, key } = await h().createKey(ws, apiId);
    const foreign = await h().createKey(other, await h().createApi(other));
    expectError(await h().post("/v1/keys.deleteKey", { keyId: "key_nope" }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().post("/v1/keys.deleteKey", { keyId: foreign.keyId, permanent: true }, ws.rootKey), 404, "NOT_FOUND");
    expect((await h().verify(foreign.key)).body.code).toBe("VALID");
    expectError(await h().post("/v1/keys.deleteKey", {}, ws.rootKey), 400, "BAD_REQUEST");
    expectError(await h().post("/v1/keys.deleteKey", { keyId, permanent: "yes" }, ws.rootKey), 400, "BAD_REQUEST");
    expectError(await h().post("/v1/keys.deleteKey", { keyId }), 401, "UNAUTHORIZED");
    const updater = await h().rootKey(ws, ["api.*.update_key", "api.*.read_key", "api.*.delete_api"]);
    expectError(await h().post("/v1/keys.deleteKey", { keyId }, updater.key), 403, "INSUFFICIENT_PERMISSIONS");
    expect((await h().verify(key)).body.code).toBe("VALID");
    const scoped = await h().rootKey(ws, [`api.${apiId}.delete_key`]);
    expect((await h().post("/v1/keys.deleteKey", { keyId }, scoped.key)).status).toBe(200);
    expect((await h().verify(key)).body.code).toBe("NOT_FOUND");
  });

  test("apis.deleteKeys (soft) deletes every live key of the API and counts them; the API lives on", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const otherApi = await h().createApi(ws);
    const made: { keyId: string; key: string }[] = [];
    for (let i = 0; i < 4; i++) made.push(await h().createKey(ws, apiId));
    const bystander = await h().createKey(ws, otherApi);
    await h().post("/v1/keys.deleteKey", { keyId: made[0]!.keyId }, ws.rootKey);

    const res = await h().post("/v1/apis.deleteKeys", { apiId }, ws.rootKey);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deletedKeys: 3 });
    for (const k of made) expect((await h().verify(k.key)).body.code).toBe("NOT_FOUND");
    expect((await h().verify(bystander.key)).body.code).toBe("VALID");
    expect((await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey)).body).toEqual({ keys: [], total: 0 });
    const rows = (await h().snapshot()).keys!.filter((r: any) => r.api_id === apiId);
    expect(rows).toHaveLength(4);
    expect(rows.every((r: any) => r.deleted_at !== null)).toBe(true);

    expect((await h().post("/v1/apis.deleteKeys", { apiId }, ws.rootKey)).body).toEqual({ deletedKeys: 0 });
    expect((await h().get("/v1/apis.getApi", { apiId }, ws.rootKey)).status).toBe(200);
    const fresh = await h().createKey(ws, apiId);
    expect((await h().verify(fresh.key)).body.code).toBe("VALID");
  });

  test("apis.deleteKeys (permanent) removes the rows and counts them", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const made: { keyId: string; key: string }[] = [];
    for (let i = 0; i < 3; i++) made.push(await h().createKey(ws, apiId, { permissions: ["p"] }));
    const res = await h().post("/v1/apis.deleteKeys", { apiId, permanent: true }, ws.rootKey);
    expect(res.body).toEqual({ deletedKeys: 3 });
    const snap = await h().snapshot();
    expect(snap.keys!.filter((r: any) => r.api_id === apiId)).toHaveLength(0);
    expect(snap.key_permissions!.filter((r: any) => made.some((k) => k.keyId === r.key_id))).toHaveLength(0);
    for (const k of made) expect((await h().verify(k.key)).body.code).toBe("NOT_FOUND");
  });

  test("apis.deleteKeys errors: foreign API 404 and untouched, delete_key required, per-API grant", async () => {
    const ws = await h().workspace();
    const other = await h().workspace();
    const apiId = await h().createApi(ws);
    const otherApi = await h().createApi(other);
    const foreign = await h().createKey(other, otherApi);
    const mine = await h().createKey(ws, apiId);
    expectError(await h().post("/v1/apis.deleteKeys", { apiId: otherApi }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().post("/v1/apis.deleteKeys", { apiId: "api_nope" }, ws.rootKey), 404, "NOT_FOUND");
    expect((await h().verify(foreign.key)).body.code).toBe("VALID");
    expectError(await h().post("/v1/apis.deleteKeys", {}, ws.rootKey), 400, "BAD_REQUEST");
    expectError(await h().post("/v1/apis.deleteKeys", { apiId }), 401, "UNAUTHORIZED");
    const apiDeleter = await h().rootKey(ws, ["api.*.delete_api"]);
    expectError(await h().post("/v1/apis.deleteKeys", { apiId }, apiDeleter.key), 403, "INSUFFICIENT_PERMISSIONS");
    const otherScope = await h().rootKey(ws, [`api.${await h().createApi(ws)}.delete_key`]);
    expectError(await h().post("/v1/apis.deleteKeys", { apiId }, otherScope.key), 403, "INSUFFICIENT_PERMISSIONS");
    expect((await h().verify(mine.key)).body.code).toBe("VALID");
    const scoped = await h().rootKey(ws, [`api.${apiId}.delete_key`]);
    expect((await h().post("/v1/apis.deleteKeys", { apiId }, scoped.key)).body).toEqual({ deletedKeys: 1 });
  });
});
