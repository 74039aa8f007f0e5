import { expect, test } from "vitest";
import { forEachDatabase } from "../harness.ts";
import { expectError } from "./expect-error.ts";

forEachDatabase("apis", (h) => {
  test("createApi returns an api_ id that getApi reads back, recovery off", async () => {
    const ws = await h().workspace();
    const res = await h().post("/v1/apis.createApi", { name: "payments" }, ws.rootKey);
    expect(res.status).toBe(200);
    expect(res.body.apiId).toMatch(/^api_[1-9A-HJ-NP-Za-km-z]{22}$/);
    expect(res.headers.get("X-Request-Id")).toMatch(/^req_/);
    const got = await h().get("/v1/apis.getApi", { apiId: res.body.apiId }, ws.rootKey);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ id: res.body.apiId, workspaceId: ws.workspaceId, name: "payments", recovery: { enabled: false } });
  });

  test("createApi refuses a missing or empty name, a missing root key and a key without create_api", async () => {
    const ws = await h().workspace();
    expectError(await h().post("/v1/apis.createApi", {}, ws.rootKey), 400, "BAD_REQUEST");
    expectError(await h().post("/v1/apis.createApi", { name: "" }, ws.rootKey), 400, "BAD_REQUEST");
    expectError(await h().call("POST", "/v1/apis.createApi", { rawBody: "{not json", token: ws.rootKey, headers: { "Content-Type": "application/json" } }), 400, "BAD_REQUEST");
    expectError(await h().post("/v1/apis.createApi", { name: "x" }), 401, "UNAUTHORIZED");
    expectError(await h().post("/v1/apis.createApi", { name: "x" }, "kh_root_notarealkey"), 401, "UNAUTHORIZED");
    const reader = await h().rootKey(ws, ["api.*.read_api"]);
    const res = await h().post("/v1/apis.createApi", { name: "x" }, reader.key);
    expectError(res, 403, "INSUFFICIENT_PERMISSIONS");
    expect(res.body.error.message).toContain("api.*.create_api");
  });

  test("getApi: unknown id and another workspace's API are both 404; read_api is required, per API or for all", async () => {
    const ws = await h().workspace();
    const other = await h().workspace();
    const apiId = await h().createApi(ws);
    const otherApi = await h().createApi(other);
    expectError(await h().get("/v1/apis.getApi", { apiId: "api_doesnotexist" }, ws.rootKey), 404, "NOT_FOUND");
    const foreign = await h().get("/v1/apis.getApi", { apiId: otherApi }, ws.rootKey);
    expectError(foreign, 404, "NOT_FOUND");
    const missing = await h().get("/v1/apis.getApi", { apiId: "api_doesnotexist" }, ws.rootKey);
    expect(foreign.body.error.message).toBe(missing.body.error.message);
    expectError(await h().get("/v1/apis.getApi", {}, ws.rootKey), 400, "BAD_REQUEST");
    expectError(await h().get("/v1/apis.getApi", { apiId }), 401, "UNAUTHORIZED");

    const none = await h().rootKey(ws, ["api.*.read_key"]);
    expectError(await h().get("/v1/apis.getApi", { apiId }, none.key), 403, "INSUFFICIENT_PERMISSIONS");
    const scoped = await h().rootKey(ws, [`api.${apiId}.read_api`]);
    expect((await h().get("/v1/apis.getApi", { apiId }, scoped.key)).status).toBe(200);
    const secondApi = await h().createApi(ws);
    expectError(await h().get("/v1/apis.getApi", { apiId: secondApi }, scoped.key), 403, "INSUFFICIENT_PERMISSIONS");
  });

  test("updateApi renames and switches recovery on and off, as getApi shows", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws, "before");
    const on = await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, ws.rootKey);
    expect(on.status).toBe(200);
    expect(on.body).toEqual({});
    expect((await h().get("/v1/apis.getApi", { apiId }, ws.rootKey)).body).toMatchObject({ name: "before", recovery: { enabled: true } });
    expect((await h().post("/v1/apis.updateApi", { apiId, name: "after" }, ws.rootKey)).status).toBe(200);
    expect((await h().get("/v1/apis.getApi", { apiId }, ws.rootKey)).body).toMatchObject({ name: "after", recovery: { enabled: true } });
    expect((await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: false } }, ws.rootKey)).status).toBe(200);
    expect((await h().get("/v1/apis.getApi", { apiId }, ws.rootKey)).body).toMatchObject({ name: "after", recovery: { enabled: false } });
  });

  test("updateApi errors: nothing to update, unknown or foreign API, missing update_api", async () => {
    const ws = await h().workspace();
    const other = await h().workspace();
    const apiId = await h().createApi(ws);
    const otherApi = await h().createApi(other);
    expectError(await h().post("/v1/apis.updateApi", { apiId }, ws.rootKey), 400, "BAD_REQUEST");
    expectError(await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: "yes" } }, ws.rootKey), 400, "BAD_REQUEST");
    expectError(await h().post("/v1/apis.updateApi", { apiId: "api_nope", name: "x" }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().post("/v1/apis.updateApi", { apiId: otherApi, name: "x" }, ws.rootKey), 404, "NOT_FOUND");
    const reader = await h().rootKey(ws, ["api.*.read_api"]);
    expectError(await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, reader.key), 403, "INSUFFICIENT_PERMISSIONS");
    expect((await h().get("/v1/apis.getApi", { apiId }, ws.rootKey)).body.recovery).toEqual({ enabled: false });
    expect((await h().get("/v1/apis.getApi", { apiId: otherApi }, other.rootKey)).body.name).toBe("api");
  });

  test("deleteApi: the API is gone and its keys answer NOT_FOUND at once; other APIs are untouched", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const keep = await h().createApi(ws);
    const a = await h().createKey(ws, apiId);
    const b = await h().createKey(ws, apiId, { remaining: 5 });
    const kept = await h().createKey(ws, keep);
    expect((await h().verify(a.key)).body.code).toBe("VALID");

    const res = await h().post("/v1/apis.deleteApi", { apiId }, ws.rootKey);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    for (const k of [a, b]) {
      expect((await h().verify(k.key)).body).toMatchObject({ valid: false, code: "NOT_FOUND" });
      expect((await h().verify(k.key, { apiId })).body).toMatchObject({ valid: false, code: "NOT_FOUND" });
      expectError(await h().get("/v1/keys.getKey", { keyId: k.keyId }, ws.rootKey), 404, "NOT_FOUND");
    }
    expectError(await h().get("/v1/apis.getApi", { apiId }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().post("/v1/keys.createKey", { apiId }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().post("/v1/apis.deleteApi", { apiId }, ws.rootKey), 404, "NOT_FOUND");
    expect((await h().verify(kept.key)).body.code).toBe("VALID");
  });

  test("deleteApi errors: foreign API is 404 and stays alive, missing delete_api is 403", async () => {
    const ws = await h().workspace();
    const other = await h().workspace();
    const otherApi = await h().createApi(other);
    const otherKey = await h().createKey(other, otherApi);
    expectError(await h().post("/v1/apis.deleteApi", { apiId: otherApi }, ws.rootKey), 404, "NOT_FOUND");
    expect((await h().verify(otherKey.key)).body.code).toBe("VALID");

    const apiId = await h().createApi(ws);
    const reader = await h().rootKey(ws, ["api.*.read_api", "api.*.delete_key"]);
    expectError(await h().post("/v1/apis.deleteApi", { apiId }, reader.key), 403, "INSUFFICIENT_PERMISSIONS");
    expectError(await h().post("/v1/apis.deleteApi", {}, ws.rootKey), 400, "BAD_REQUEST");
    expect((await h().get("/v1/apis.getApi", { apiId }, ws.rootKey)).status).toBe(200);
    const scoped = await h().rootKey(ws, [`api.${apiId}.delete_api`]);
    expect((await h().post("/v1/apis.deleteApi", { apiId }, scoped.key)).status).toBe(200);
  });

  test("liveness needs no root key", async () => {
    const res = await h().get("/v1/liveness", {});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
    expect(res.headers.get("X-Request-Id")).toMatch(/^req_/);
  });

  test("unknown routes are 404 in the envelope", async () => {
    expectError(await h().post("/v1/apis.nope", {}), 404, "NOT_FOUND");
  });
});
