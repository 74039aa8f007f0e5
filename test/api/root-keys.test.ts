import { createHash } from "node:crypto";
import { expect, test } from "vitest";
import { generateKey } from "../../src/keys/key-format.ts";
import { forEachDatabase } from "../harness.ts";
import { expectError } from "./expect-error.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (s: string) => createHash("sha256").update(s).digest();

forEachDatabase("rootKeys", (h) => {
  test("createRootKey returns a kh_root key that works with exactly the permissions it was given", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const otherApi = await h().createApi(ws);
    const { keyId } = await h().createKey(ws, apiId);
    const res = await h().post("/v1/rootKeys.createRootKey", { name: "reader", permissions: [`api.${apiId}.read_key`, "api.*.read_api"] }, ws.rootKey);
    expect(res.status).toBe(200);
    expect(res.body.keyId).toMatch(/^rk_/);
    expect(res.body.key).toMatch(/^kh_root_[1-9A-HJ-NP-Za-km-z]+$/);
    const rk = res.body.key;

    expect((await h().get("/v1/keys.getKey", { keyId }, rk)).status).toBe(200);
    expect((await h().get("/v1/apis.listKeys", { apiId }, rk)).status).toBe(200);
    expect((await h().get("/v1/apis.getApi", { apiId: otherApi }, rk)).status).toBe(200);
    expectError(await h().get("/v1/apis.listKeys", { apiId: otherApi }, rk), 403, "INSUFFICIENT_PERMISSIONS");
    expectError(await h().post("/v1/keys.createKey", { apiId }, rk), 403, "INSUFFICIENT_PERMISSIONS");
    expectError(await h().post("/v1/keys.updateKey", { keyId, name: "x" }, rk), 403, "INSUFFICIENT_PERMISSIONS");
    expectError(await h().post("/v1/apis.createApi", { name: "x" }, rk), 403, "INSUFFICIENT_PERMISSIONS");
    expectError(await h().post("/v1/rootKeys.createRootKey", { name: "x", permissions: [`api.${apiId}.read_key`] }, rk), 403, "INSUFFICIENT_PERMISSIONS");
    expectError(await h().get("/v1/rootKeys.listRootKeys", {}, rk), 403, "INSUFFICIENT_PERMISSIONS");
  });

  test("no escalation: only permissions the caller holds can be granted, and a refusal creates nothing", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const readOnly = await h().rootKey(ws, ["api.*.read_key"]);
    for (const permissions of [["api.*.create_key"], ["*"], ["api.*.read_key"]]) {
      expectError(await h().post("/v1/rootKeys.createRootKey", { name: "x", permissions }, readOnly.key), 403, "INSUFFICIENT_PERMISSIONS");
    }

    const granter = await h().rootKey(ws, ["rbac.*.create_root_key", "api.*.read_key"]);
    const count = async () => (await h().get("/v1/rootKeys.listRootKeys", {}, ws.rootKey)).body.rootKeys.length;
    const before = await count();
    for (const permissions of [
      ["api.*.create_key"],
      ["*"],
      ["api.*.read_key", "api.*.create_key"],
      ["rbac.*.delete_root_key"],
      ["api.*.decrypt_key"],
      [`api.${apiId}.update_key`],
    ]) {
      const res = await h().post("/v1/rootKeys.createRootKey", { name: "x", permissions }, granter.key);
      expectError(res, 403, "FORBIDDEN");
    }
    expect(await count()).toBe(before);

    // Held permissions, and narrower ones, can be granted.
    for (const permissions of [["api.*.read_key"], [`api.${apiId}.read_key`], ["rbac.*.create_root_key"]]) {
      expect((await h().post("/v1/rootKeys.createRootKey", { name: "ok", permissions }, granter.key)).status).toBe(200);
    }
    // A narrow holder cannot widen.
    const narrow = await h().rootKey(ws, ["rbac.*.create_root_key", `api.${apiId}.read_key`]);
    expectError(await h().post("/v1/rootKeys.createRootKey", { name: "x", permissions: ["api.*.read_key"] }, narrow.key), 403, "FORBIDDEN");
    const other = await h().createApi(ws);
    expectError(await h().post("/v1/rootKeys.createRootKey", { name: "x", permissions: [`api.${other}.read_key`] }, narrow.key), 403, "FORBIDDEN");
  });

  test("createRootKey validation: bad permission strings, empty list, missing name, past expires", async () => {
    const ws = await h().workspace();
    const bad = [
      { permissions: ["api.*.read_key"] },
      { name: "x", permissions: [] },
      { name: "x" },
      { name: "x", permissions: ["api.read_key"] },
      { name: "x", permissions: ["API.*.read_key"] },
      { name: "x", permissions: [""] },
      { name: "x", permissions: ["**"] },
      { name: "x", permissions: ["api.*.read_key.extra"] },
      { name: "x", permissions: "*" },
      { name: "x", permissions: ["*"], expires: Date.now() - 1000 },
    ];
    for (const body of bad) expectError(await h().post("/v1/rootKeys.createRootKey", body, ws.rootKey), 400, "BAD_REQUEST");
    expectError(await h().post("/v1/rootKeys.createRootKey", { name: "x", permissions: ["*"] }), 401, "UNAUTHORIZED");
  });

  test("a root key with expires is listed with it, works until then, then is 401", async () => {
    const ws = await h().workspace();
    const later = Date.now() + 3_600_000;
    const res = await h().post("/v1/rootKeys.createRootKey", { name: "temp", permissions: ["api.*.create_api"], expires: later }, ws.rootKey);
    expect(res.status).toBe(200);
    const listed = (await h().get("/v1/rootKeys.listRootKeys", {}, ws.rootKey)).body.rootKeys.find((k: any) => k.id === res.body.keyId);
    expect(listed).toMatchObject({ name: "temp", expires: later, permissions: ["api.*.create_api"] });
    expect((await h().post("/v1/apis.createApi", { name: "a" }, res.body.key)).status).toBe(200);

    const soon = Date.now() + 600;
    const short = await h().rootKey(ws, ["api.*.create_api"], soon);
    expect((await h().post("/v1/apis.createApi", { name: "a" }, short.key)).status).toBe(200);
    await sleep(Math.max(0, soon - Date.now()) + 50);
    expectError(await h().post("/v1/apis.createApi", { name: "a" }, short.key), 401, "UNAUTHORIZED");
  });

  test("401 for a missing, empty, malformed, unknown or non-root key, with one message", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { key: plainKey } = await h().createKey(ws, apiId, { prefix: "sk" });
    const headers: Record<string, string>[] = [
      {},
      { Authorization: "" },
      { Authorization: "Bearer" },
      { Authorization: "Bearer " },
      { Authorization: `Basic ${ws.rootKey}` },
      { Authorization: `Bearer ${ws.rootKey}x` },
      { Authorization: `Bearer ${generateKey({ prefix: "kh_root", byteLength: 32 })}` },
      { Authorization: `Bearer ${plainKey}` },
      { Authorization: `Bearer ${ws.rootKey} extra` },
    ];
    const messages = new Set<string>();
    for (const h_ of headers) {
      const res = await h().call("GET", "/v1/apis.getApi", { query: { apiId }, headers: h_ });
      expectError(res, 401, "UNAUTHORIZED");
      messages.add(res.body.error.message);
    }
    expect(messages.size).toBe(1);
    expect((await h().call("GET", "/v1/apis.getApi", { query: { apiId }, headers: { Authorization: `bearer ${ws.rootKey}` } })).status).toBe(200);
  });

  test("deleteRootKey revokes at once (401 afterwards); unknown, foreign and already deleted are 404", async () => {
    const ws = await h().workspace();
    const other = await h().workspace();
    const victim = await h().rootKey(ws, ["api.*.create_api"]);
    expect((await h().post("/v1/apis.createApi", { name: "a" }, victim.key)).status).toBe(200);
    const res = await h().post("/v1/rootKeys.deleteRootKey", { keyId: victim.keyId }, ws.rootKey);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expectError(await h().post("/v1/apis.createApi", { name: "a" }, victim.key), 401, "UNAUTHORIZED");
    expectError(await h().post("/v1/rootKeys.deleteRootKey", { keyId: victim.keyId }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().post("/v1/rootKeys.deleteRootKey", { keyId: "rk_nope" }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().post("/v1/rootKeys.deleteRootKey", { keyId: other.rootKeyId }, ws.rootKey), 404, "NOT_FOUND");
    expect((await h().get("/v1/rootKeys.listRootKeys", {}, other.rootKey)).status).toBe(200);
    expectError(await h().post("/v1/rootKeys.deleteRootKey", {}, ws.rootKey), 400, "BAD_REQUEST");

    const lacking = await h().rootKey(ws, ["rbac.*.create_root_key", "rbac.*.read_root_key"]);
    const target = await h().rootKey(ws, ["api.*.read_api"]);
    expectError(await h().post("/v1/rootKeys.deleteRootKey", { keyId: target.keyId }, lacking.key), 403, "INSUFFICIENT_PERMISSIONS");
    const deleter = await h().rootKey(ws, ["rbac.*.delete_root_key", "api.*.read_api"]);
    expect((await h().post("/v1/rootKeys.deleteRootKey", { keyId: target.keyId }, deleter.key)).status).toBe(200);
    // Revoking is as strong as granting: it can't revoke a key holding more than it does.
    const refused = await h().post("/v1/rootKeys.deleteRootKey", { keyId: ws.rootKeyId }, deleter.key);
    expectError(refused, 403, "FORBIDDEN");
    expect(refused.body.error.message).toContain("does not hold *");
    expect((await h().get("/v1/rootKeys.listRootKeys", {}, ws.rootKey)).status).toBe(200);
    // A root key can revoke itself, and is refused from then on.
    expect((await h().post("/v1/rootKeys.deleteRootKey", { keyId: deleter.keyId }, deleter.key)).status).toBe(200);
    expectError(await h().post("/v1/rootKeys.deleteRootKey", { keyId: deleter.keyId }, deleter.key), 401, "UNAUTHORIZED");
  });

  test("a root key can't create one that outlives it", async () => {
    const ws = await h().workspace();
    const ends = Date.now() + 3_600_000;
    const parent = await h().rootKey(ws, ["rbac.*.create_root_key", "rbac.*.read_root_key", "api.*.read_api"], ends);
    const open = await h().post("/v1/rootKeys.createRootKey", { name: "no-expiry", permissions: ["api.*.read_api"] }, parent.key);
    const later = await h().post("/v1/rootKeys.createRootKey", { name: "later", permissions: ["api.*.read_api"], expires: ends + 86_400_000 }, parent.key);
    const sooner = await h().post("/v1/rootKeys.createRootKey", { name: "sooner", permissions: ["api.*.read_api"], expires: ends - 1000 }, parent.key);
    const listed = (await h().get("/v1/rootKeys.listRootKeys", {}, parent.key)).body.rootKeys;
    const expiry = (id: string) => listed.find((k: { id: string }) => k.id === id).expires;
    expect(expiry(open.body.keyId)).toBe(ends);
    expect(expiry(later.body.keyId)).toBe(ends);
    expect(expiry(sooner.body.keyId)).toBe(ends - 1000);
  });

  test("listRootKeys lists the workspace's live root keys and never a secret or hash", async () => {
    const ws = await h().workspace();
    const other = await h().workspace();
    const a = await h().post("/v1/rootKeys.createRootKey", { name: "alpha", permissions: ["api.*.read_key", "api.*.read_api"] }, ws.rootKey);
    const gone = await h().rootKey(ws, ["api.*.read_api"]);
    await h().post("/v1/rootKeys.deleteRootKey", { keyId: gone.keyId }, ws.rootKey);

    const res = await h().get("/v1/rootKeys.listRootKeys", {}, ws.rootKey);
    expect(res.status).toBe(200);
    expect(res.body.rootKeys.map((k: any) => k.id).sort()).toEqual([ws.rootKeyId, a.body.keyId].sort());
    const alpha = res.body.rootKeys.find((k: any) => k.id === a.body.keyId);
    expect(alpha).toEqual({
      id: a.body.keyId,
      userId: ws.userId, // the caller's user, by default
      name: "alpha",
      start: a.body.key.slice(0, "kh_root_".length + 4),
      permissions: ["api.*.read_key", "api.*.read_api"],
      createdAt: expect.any(Number),
    });
    const text = JSON.stringify(res.body);
    // The hash is what the database holds, so this search would find it if it leaked.
    expect(JSON.stringify((await h().snapshot()).root_keys)).toContain(sha256(a.body.key).toString("hex"));
    for (const secret of [ws.rootKey, a.body.key]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice("kh_root_".length + 4));
      const digest = sha256(secret);
      for (const encoded of [digest.toString("hex"), digest.toString("hex").toUpperCase(), digest.toString("base64"), digest.toString("base64url")]) {
        expect(text).not.toContain(encoded);
      }
    }
    expect(text).not.toMatch(/"(hash|key|secret|plaintext)"/);
    expect(text).not.toContain(other.rootKeyId);

    const noRead = await h().rootKey(ws, ["rbac.*.create_root_key"]);
    expectError(await h().get("/v1/rootKeys.listRootKeys", {}, noRead.key), 403, "INSUFFICIENT_PERMISSIONS");
    expectError(await h().get("/v1/rootKeys.listRootKeys", {}), 401, "UNAUTHORIZED");
  });
});
