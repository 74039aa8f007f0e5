import { expect, test } from "vitest";
import { generateKey } from "../../src/keys/key-format.ts";
import { forEachDatabase } from "../harness.ts";
import { expectError } from "./expect-error.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A well-formed key whose last checksum character is changed. */
function breakChecksum(key: string): string {
  const last = key.at(-1)!;
  return key.slice(0, -1) + (last === "2" ? "3" : "2");
}

forEachDatabase("keys.verifyKey", (h) => {
  async function setup(body: Record<string, unknown> = {}) {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { keyId, key } = await h().createKey(ws, apiId, body);
    return { ws, apiId, keyId, key };
  }

  test("VALID carries the key's description and the request id", async () => {
    const expires = Date.now() + 3_600_000;
    const { keyId, key, apiId } = await setup({
      prefix: "vk",
      name: "n1",
      ownerId: "owner",
      meta: { plan: "pro" },
      expires,
      remaining: 5,
      ratelimit: { limit: 10, duration: 60_000 },
      environment: "live",
      roles: ["admin"],
      permissions: ["b.read", "a.write"],
    });
    const res = await h().verify(key, { apiId });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      valid: true,
      code: "VALID",
      keyId,
      name: "n1",
      ownerId: "owner",
      meta: { plan: "pro" },
      expires,
      remaining: 4,
      ratelimit: { limit: 10, remaining: 9, reset: expect.any(Number) },
      enabled: true,
      permissions: ["a.write", "b.read"],
      roles: ["admin"],
      environment: "live",
      identity: { id: expect.stringMatching(/^id_/), externalId: "owner", meta: {} },
      requestId: res.headers.get("X-Request-Id"),
    });
    expect(res.body.requestId).toMatch(/^req_/);
    expect(res.body.ratelimit.reset).toBeGreaterThan(Date.now());
    expect(res.body.ratelimit.reset).toBeLessThanOrEqual(Date.now() + 60_000);
    // Without apiId too.
    expect((await h().verify(key)).body).toMatchObject({ valid: true, code: "VALID", remaining: 3 });
  });

  test("a plain key without limits is VALID any number of times and carries no remaining/ratelimit", async () => {
    const { key } = await setup();
    for (let i = 0; i < 3; i++) {
      const res = await h().verify(key);
      expect(res.body).toMatchObject({ valid: true, code: "VALID", permissions: [], roles: [] });
      expect(res.body).not.toHaveProperty("remaining");
      expect(res.body).not.toHaveProperty("ratelimit");
    }
  });

  test("NOT_FOUND: unknown, malformed and wrong-checksum keys, revealing nothing", async () => {
    const { key } = await setup({ prefix: "nf" });
    const candidates = [
      generateKey({ prefix: "nf" }), // well formed, never issued
      generateKey(),
      breakChecksum(key),
      key.slice(0, -1),
      `${key}x`,
      key.replace("nf_", "nx_"),
      "nf_",
      "x",
      "not a key at all",
      "kh_root_abc",
    ];
    for (const candidate of candidates) {
      const res = await h().verify(candidate);
      expect(res.status, candidate).toBe(200);
      expect(res.body, candidate).toEqual({ valid: false, code: "NOT_FOUND", requestId: expect.stringMatching(/^req_/) });
    }
    expect((await h().verify(key)).body.code).toBe("VALID");
  });

  test("NOT_FOUND at once for a deleted key (soft and permanent) and for a key of a deleted API", async () => {
    const { ws, apiId, keyId, key } = await setup();
    const permanent = await h().createKey(ws, apiId);
    expect((await h().verify(key)).body.code).toBe("VALID");
    expect((await h().post("/v1/keys.deleteKey", { keyId }, ws.rootKey)).status).toBe(200);
    expect((await h().verify(key)).body).toEqual({ valid: false, code: "NOT_FOUND", requestId: expect.any(String) });
    expect((await h().post("/v1/keys.deleteKey", { keyId: permanent.keyId, permanent: true }, ws.rootKey)).status).toBe(200);
    expect((await h().verify(permanent.key)).body.code).toBe("NOT_FOUND");

    const other = await setup();
    expect((await h().post("/v1/apis.deleteApi", { apiId: other.apiId }, other.ws.rootKey)).status).toBe(200);
    expect((await h().verify(other.key)).body.code).toBe("NOT_FOUND");
  });

  test("FORBIDDEN for the apiId of another API, of this or another workspace; nothing is consumed", async () => {
    const { ws, apiId, keyId, key } = await setup({ remaining: 2 });
    const sibling = await h().createApi(ws);
    const foreign = await setup();
    for (const wrong of [sibling, foreign.apiId, "api_doesnotexist"]) {
      const res = await h().verify(key, { apiId: wrong });
      expect(res.body).toMatchObject({ valid: false, code: "FORBIDDEN" });
      expect(res.body).not.toHaveProperty("remaining");
    }
    expect((await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body.remaining).toBe(2);
    expect((await h().verify(key, { apiId })).body).toMatchObject({ code: "VALID", remaining: 1 });
  });

  test("DISABLED, and it consumes no credits", async () => {
    const { ws, keyId, key } = await setup({ enabled: false, remaining: 1, name: "off" });
    const res = await h().verify(key);
    expect(res.body).toMatchObject({ valid: false, code: "DISABLED", keyId, name: "off", enabled: false });
    await h().post("/v1/keys.updateKey", { keyId, enabled: true }, ws.rootKey);
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 0 });
  });

  test("EXPIRED once expires has passed (set by updateKey); clearing expires makes it VALID again", async () => {
    const { ws, keyId, key } = await setup({ expires: Date.now() + 3_600_000, remaining: 3 });
    expect((await h().verify(key)).body).toMatchObject({ valid: true, code: "VALID", remaining: 2 });
    const expires = Date.now() + 500;
    expect((await h().post("/v1/keys.updateKey", { keyId, expires }, ws.rootKey)).status).toBe(200);
    await sleep(Math.max(0, expires - Date.now()) + 30);
    const res = await h().verify(key);
    expect(res.body).toMatchObject({ valid: false, code: "EXPIRED", keyId, expires });
    expect((await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body.remaining).toBe(2);
    await h().post("/v1/keys.updateKey", { keyId, expires: null }, ws.rootKey);
    expect((await h().verify(key)).body).toMatchObject({ valid: true, code: "VALID", remaining: 1 });
  });

  test("INSUFFICIENT_PERMISSIONS with string, and, or and nested queries", async () => {
    const { key } = await setup({ permissions: ["dns.read", "dns.write", "billing.read"], remaining: 100 });
    const cases: [unknown, string][] = [
      ["dns.read", "VALID"],
      ["dns.delete", "INSUFFICIENT_PERMISSIONS"],
      ["dns", "INSUFFICIENT_PERMISSIONS"],
      ["dns.*", "INSUFFICIENT_PERMISSIONS"],
      [{ and: ["dns.read", "dns.write"] }, "VALID"],
      [{ and: ["dns.read", "dns.delete"] }, "INSUFFICIENT_PERMISSIONS"],
      [{ or: ["dns.delete", "dns.write"] }, "VALID"],
      [{ or: ["dns.delete", "admin"] }, "INSUFFICIENT_PERMISSIONS"],
      [{ and: ["billing.read", { or: ["dns.delete", "dns.write"] }] }, "VALID"],
      [{ and: ["billing.read", { or: ["dns.delete", "admin"] }] }, "INSUFFICIENT_PERMISSIONS"],
      [{ or: [{ and: ["admin", "dns.read"] }, { and: ["dns.write", "billing.read"] }] }, "VALID"],
      [{ or: [{ and: ["admin", "dns.read"] }, { and: ["dns.write", "billing.write"] }] }, "INSUFFICIENT_PERMISSIONS"],
    ];
    for (const [permissions, code] of cases) {
      const res = await h().verify(key, { authorization: { permissions } });
      expect(res.body.code, JSON.stringify(permissions)).toBe(code);
      expect(res.body.valid).toBe(code === "VALID");
    }
    // Only the 5 VALID answers spent credits.
    expect((await h().verify(key)).body.remaining).toBe(100 - 5 - 1);
  });

  test("malformed permission queries and bodies are 400", async () => {
    const { key } = await setup({ permissions: ["a"] });
    let deep: unknown = "a";
    for (let i = 0; i < 9; i++) deep = { and: [deep] };
    const bad = [
      { key, authorization: { permissions: { xor: ["a"] } } },
      { key, authorization: { permissions: { and: [] } } },
      { key, authorization: { permissions: { and: ["a"], or: ["a"] } } },
      { key, authorization: { permissions: 5 } },
      { key, authorization: { permissions: "" } },
      { key, authorization: { permissions: deep } },
      {},
      { key: "" },
      { key: 123 },
      { key: "x".repeat(5000) },
      { key, remaining: { cost: -1 } },
    ];
    for (const body of bad) expectError(await h().post("/v1/keys.verifyKey", body), 400, "BAD_REQUEST");
    let ok: unknown = "a";
    for (let i = 0; i < 7; i++) ok = { and: [ok] };
    expect((await h().verify(key, { authorization: { permissions: ok } })).body.code).toBe("VALID");
    expect((await h().verify(key, { authorization: { permissions: null } })).body.code).toBe("VALID");
  });

  test("USAGE_EXCEEDED when credits run out; cost spends several; cost above balance spends nothing", async () => {
    const { ws, keyId, key } = await setup({ remaining: 5 });
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 4 });
    expect((await h().verify(key, { remaining: { cost: 3 } })).body).toMatchObject({ valid: true, remaining: 1 });
    expect((await h().verify(key, { remaining: { cost: 2 } })).body).toMatchObject({ valid: false, code: "USAGE_EXCEEDED", remaining: 0 });
    expect((await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body.remaining).toBe(1);
    expect((await h().verify(key, { remaining: { cost: 0 } })).body).toMatchObject({ valid: true, remaining: 1 });
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 0 });
    expect((await h().verify(key)).body).toMatchObject({ valid: false, code: "USAGE_EXCEEDED", keyId, remaining: 0 });
    expect((await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body.remaining).toBe(0);
  });

  test("with a root key: another workspace's key is NOT_FOUND, verify_key is required, Bearer public is ignored", async () => {
    const { ws, apiId, key } = await setup();
    const other = await h().workspace();
    const call = (token: string, apiIdArg?: string) => h().post("/v1/keys.verifyKey", { key, ...(apiIdArg && { apiId: apiIdArg }) }, token);

    // Another workspace's valid root key, even with `*`: the key does not exist for it.
    expect((await call(other.rootKey)).body).toEqual({ valid: false, code: "NOT_FOUND", requestId: expect.any(String) });
    expect((await call(other.rootKey, apiId)).body.code).toBe("NOT_FOUND");
    const otherVerifier = await h().rootKey(other, ["api.*.verify_key"]);
    expect((await call(otherVerifier.key)).body.code).toBe("NOT_FOUND");

    const lacking = await h().rootKey(ws, ["api.*.read_key", "api.*.create_key"]);
    const denied = await call(lacking.key);
    expectError(denied, 403, "INSUFFICIENT_PERMISSIONS");
    expect(denied.body.error.message).toContain("verify_key");
    const scopedElsewhere = await h().rootKey(ws, [`api.${await h().createApi(ws)}.verify_key`]);
    expectError(await call(scopedElsewhere.key), 403, "INSUFFICIENT_PERMISSIONS");

    for (const token of [ws.rootKey, (await h().rootKey(ws, ["api.*.verify_key"])).key, (await h().rootKey(ws, [`api.${apiId}.verify_key`])).key]) {
      expect((await call(token, apiId)).body.code).toBe("VALID");
    }
    // Not a root key: ignored, like no header at all.
    expect((await call("public")).body.code).toBe("VALID");
    expect((await h().call("POST", "/v1/keys.verifyKey", { body: { key }, headers: { Authorization: "garbage" } })).body.code).toBe("VALID");
    expect((await call(generateKey({ prefix: "kh_root", byteLength: 32 }))).body.code).toBe("VALID");
    const revoked = await h().rootKey(ws, ["api.*.read_key"]);
    await h().post("/v1/rootKeys.deleteRootKey", { keyId: revoked.keyId }, ws.rootKey);
    expect((await call(revoked.key)).body.code).toBe("VALID");
  });
});
