import { expect, test, vi } from "vitest";
import { forEachDatabase } from "../harness.ts";
import { expectError } from "./expect-error.ts";

forEachDatabase("apis.listKeys", (h) => {
  test("pages with limit and cursor through more keys than the limit, in creation order, with the total on each page", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const created: string[] = [];
    for (let i = 0; i < 12; i++) created.push((await h().createKey(ws, apiId, { name: `k${i}` })).keyId);

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await h().get("/v1/apis.listKeys", { apiId, limit: "5", ...(cursor && { cursor }) }, ws.rootKey);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(12);
      pageSizes.push(res.body.keys.length);
      seen.push(...res.body.keys.map((k: { id: string }) => k.id));
      cursor = res.body.cursor;
      if (!cursor) break;
    }
    expect(pageSizes).toEqual([5, 5, 2]);
    expect(seen).toEqual(created);
  });

  test("keys created within the same millisecond still list in creation order", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const created: string[] = [];
    // Back-to-back creates land in the same millisecond on a fast server; freeze the clock to make that certain.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      for (let i = 0; i < 20; i++) created.push((await h().createKey(ws, apiId)).keyId);
    } finally {
      vi.useRealTimers();
    }
    const res = await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey);
    expect(res.body.keys.map((k: { id: string }) => k.id)).toEqual(created);
  });

  test("a page exactly as long as what is left has no cursor; an empty API lists nothing", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const empty = await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ keys: [], total: 0 });
    for (let i = 0; i < 3; i++) await h().createKey(ws, apiId);
    const res = await h().get("/v1/apis.listKeys", { apiId, limit: "3" }, ws.rootKey);
    expect(res.body.keys).toHaveLength(3);
    expect(res.body).not.toHaveProperty("cursor");
  });

  test("listed keys have the getKey shape and never a secret or hash", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { keyId, key } = await h().createKey(ws, apiId, { prefix: "ls", ownerId: "o", meta: { a: 1 }, roles: ["r"], permissions: ["p.x"] });
    const list = await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey);
    const got = await h().get("/v1/keys.getKey", { keyId }, ws.rootKey);
    expect(list.body.keys).toEqual([got.body]);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(key.slice(3));
    expect(text).not.toContain("hash");
    expect(text).not.toContain("plaintext");
  });

  test("ownerId and externalId filter the page and the total; deleted keys and other APIs' keys are not listed", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const otherApi = await h().createApi(ws);
    const alice1 = await h().createKey(ws, apiId, { ownerId: "alice" });
    await h().createKey(ws, apiId, { ownerId: "bob" });
    const alice2 = await h().createKey(ws, apiId, { externalId: "alice" });
    const gone = await h().createKey(ws, apiId, { ownerId: "alice" });
    await h().createKey(ws, otherApi, { ownerId: "alice" });
    expect((await h().post("/v1/keys.deleteKey", { keyId: gone.keyId }, ws.rootKey)).status).toBe(200);

    for (const filter of [{ ownerId: "alice" }, { externalId: "alice" }] as Record<string, string>[]) {
      const res = await h().get("/v1/apis.listKeys", { apiId, ...filter }, ws.rootKey);
      expect(res.body.total).toBe(2);
      expect(res.body.keys.map((k: { id: string }) => k.id)).toEqual([alice1.keyId, alice2.keyId]);
    }
    const paged = await h().get("/v1/apis.listKeys", { apiId, ownerId: "alice", limit: "1" }, ws.rootKey);
    expect(paged.body).toMatchObject({ total: 2, keys: [{ id: alice1.keyId }], cursor: alice1.keyId });
    const nobody = await h().get("/v1/apis.listKeys", { apiId, ownerId: "carol" }, ws.rootKey);
    expect(nobody.body).toEqual({ keys: [], total: 0 });
    const all = await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey);
    expect(all.body.total).toBe(3);
  });

  test("errors: bad limit 400, foreign or unknown API 404, read_key required, decrypt needs decrypt_key", async () => {
    const ws = await h().workspace();
    const other = await h().workspace();
    const apiId = await h().createApi(ws);
    const otherApi = await h().createApi(other);
    await h().createKey(other, otherApi);
    for (const limit of ["0", "101", "-1", "abc", "2.5"]) {
      expectError(await h().get("/v1/apis.listKeys", { apiId, limit }, ws.rootKey), 400, "BAD_REQUEST");
    }
    expectError(await h().get("/v1/apis.listKeys", {}, ws.rootKey), 400, "BAD_REQUEST");
    expectError(await h().get("/v1/apis.listKeys", { apiId: otherApi }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().get("/v1/apis.listKeys", { apiId: "api_nope" }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().get("/v1/apis.listKeys", { apiId }), 401, "UNAUTHORIZED");
    const creator = await h().rootKey(ws, ["api.*.create_key", "api.*.read_api"]);
    expectError(await h().get("/v1/apis.listKeys", { apiId }, creator.key), 403, "INSUFFICIENT_PERMISSIONS");
    const reader = await h().rootKey(ws, [`api.${apiId}.read_key`]);
    expect((await h().get("/v1/apis.listKeys", { apiId }, reader.key)).status).toBe(200);
    expectError(await h().get("/v1/apis.listKeys", { apiId, decrypt: "true" }, reader.key), 403, "INSUFFICIENT_PERMISSIONS");
    expect((await h().get("/v1/apis.listKeys", { apiId, decrypt: "true" }, ws.rootKey)).status).toBe(200);
  });
});
