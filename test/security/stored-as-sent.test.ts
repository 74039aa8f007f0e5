import { beforeAll, expect, test } from "vitest";
import { MAX_META_BYTES } from "../../src/keys/storable.ts";
import { type Workspace, forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope } from "./envelope.ts";

/**
 * What is accepted is stored exactly as sent, and what cannot be is refused with a message
 * naming the field (bad-input.test.ts checks that every refusal leaves the database unchanged).
 */
forEachDatabase("stored as sent", (h) => {
  let ws: Workspace;
  let apiId: string;
  beforeAll(async () => {
    ws = await h().workspace();
    apiId = await h().createApi(ws, "as-sent");
  });

  const get = async (keyId: string) => (await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body;

  test("a meta of exactly the limit is stored and served whole, on create and update", async () => {
    const big = { a: "é".repeat(Math.floor((MAX_META_BYTES - '{"a":""}'.length) / 2)) + "x" };
    expect(Buffer.byteLength(JSON.stringify(big))).toBe(MAX_META_BYTES);
    const { keyId, key } = await h().createKey(ws, apiId, { meta: big });
    expect((await get(keyId)).meta).toEqual(big);
    expect((await h().verify(key)).body.meta).toEqual(big);
    const other = { b: "x".repeat(MAX_META_BYTES - '{"b":""}'.length) };
    expect((await h().post("/v1/keys.updateKey", { keyId, meta: other }, ws.rootKey)).status).toBe(200);
    expect((await get(keyId)).meta).toEqual(other);
  });

  test("well-formed text outside the BMP is stored exactly", async () => {
    const name = "🔑 clé";
    const meta = { "emoji 😀": ["𝄞", { nested: "🚀" }] };
    const { keyId, key } = await h().createKey(ws, apiId, { name, meta, permissions: ["read:📄", "read:📃"], roles: ["😀"] });
    const stored = await get(keyId);
    expect(stored).toMatchObject({ name, meta, roles: ["😀"] });
    expect([...stored.permissions].sort()).toEqual(["read:📃", "read:📄"]);
    expect((await h().verify(key, { authorization: { permissions: "read:📄" } })).body).toMatchObject({ valid: true, meta });
  });

  test("refusals name the field", async () => {
    const cases: [Record<string, unknown> | string, string][] = [
      [{ apiId, meta: { a: "\ud800" } }, "meta.a:"],
      [{ apiId, meta: { list: [0, "\udfff"] } }, "meta.list.1:"],
      [`{"apiId":${JSON.stringify(apiId)},"meta":{"__proto__":{"admin":true},"ok":1}}`, "meta.__proto__:"],
      [{ apiId, meta: { a: "x".repeat(MAX_META_BYTES) } }, `meta: must be at most ${MAX_META_BYTES} bytes`],
      [{ apiId, permissions: ["\ud800", "\udfff"] }, "permissions.0:"],
      [{ apiId, roles: ["ok", "\udfff"] }, "roles.1:"],
      [{ apiId, name: "\ud800" }, "name:"],
      [{ apiId, ownerId: "o\udc00" }, "ownerId:"],
      [{ apiId, environment: "\ud800" }, "environment:"],
    ];
    for (const [body, named] of cases) {
      const res = await h().call("POST", "/v1/keys.createKey", {
        rawBody: typeof body === "string" ? body : JSON.stringify(body),
        token: ws.rootKey,
        headers: { "Content-Type": "application/json" },
      });
      expectErrorEnvelope(res, "BAD_REQUEST", named);
      expect(res.body.error.message, named).toContain(named);
    }
    const renamed = await h().post("/v1/apis.updateApi", { apiId, name: "x\ud800" }, ws.rootKey);
    expectErrorEnvelope(renamed, "BAD_REQUEST");
    expect(renamed.body.error.message).toContain("name:");
    const root = await h().post("/v1/rootKeys.createRootKey", { name: "\udfff", permissions: ["api.*.read_key"] }, ws.rootKey);
    expectErrorEnvelope(root, "BAD_REQUEST");
    expect(root.body.error.message).toContain("name:");
  });

  test("the same permission or role named twice is stored once, on create and update", async () => {
    const { keyId } = await h().createKey(ws, apiId, { permissions: ["read", "read"], roles: ["r", "r"] });
    expect(await get(keyId)).toMatchObject({ permissions: ["read"], roles: ["r"] });
    const updated = await h().post("/v1/keys.updateKey", { keyId, roles: ["w", { name: "w" }], permissions: [{ name: "p", create: true }, "p"] }, ws.rootKey);
    expect(updated.status).toBe(200);
    expect(await get(keyId)).toMatchObject({ permissions: ["p"], roles: ["w"] });
  });
});
