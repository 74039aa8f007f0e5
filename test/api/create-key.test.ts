import { base58 } from "@scure/base";
import { expect, test } from "vitest";
import { forEachDatabase } from "../harness.ts";
import { expectError } from "./expect-error.ts";

/** The key's random part, decoded: `<prefix>_<base58 body><6-char checksum>`. */
function bodyBytes(key: string): Uint8Array {
  const rest = key.slice(key.lastIndexOf("_") + 1);
  return base58.decode(rest.slice(0, -6));
}

forEachDatabase("keys.createKey / keys.getKey", (h) => {
  test("every field is stored and getKey returns it", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const expires = Date.now() + 3_600_000;
    const before = Date.now();
    const res = await h().post(
      "/v1/keys.createKey",
      {
        apiId,
        prefix: "sk_live",
        byteLength: 32,
        name: "customer key",
        ownerId: "user_1",
        meta: { plan: "pro", nested: { n: 1, list: [1, "two", null] } },
        expires,
        remaining: 100,
        refill: { interval: "monthly", amount: 500, refillDay: 15 },
        ratelimit: { limit: 10, duration: 60_000 },
        enabled: true,
        environment: "production",
        roles: ["admin", "billing"],
        permissions: ["dns.read", "dns.write"],
      },
      ws.rootKey,
    );
    expect(res.status).toBe(200);
    const { keyId, key } = res.body;
    expect(keyId).toMatch(/^key_/);
    expect(key.startsWith("sk_live_")).toBe(true);
    expect(bodyBytes(key).length).toBe(32);

    const got = await h().get("/v1/keys.getKey", { keyId }, ws.rootKey);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      id: keyId,
      start: key.slice(0, "sk_live_".length + 4),
      workspaceId: ws.workspaceId,
      apiId,
      name: "customer key",
      ownerId: "user_1",
      meta: { plan: "pro", nested: { n: 1, list: [1, "two", null] } },
      createdAt: expect.any(Number),
      expires,
      remaining: 100,
      refill: { interval: "monthly", amount: 500, refillDay: 15, lastRefillAt: expect.any(Number) },
      ratelimit: { async: false, type: "consistent", limit: 10, duration: 60_000, refillRate: 10, refillInterval: 60_000 },
      roles: ["admin", "billing"],
      permissions: ["dns.read", "dns.write"],
      enabled: true,
      environment: "production",
      identity: { id: expect.stringMatching(/^id_/), externalId: "user_1" },
    });
    expect(got.body.createdAt).toBeGreaterThanOrEqual(before);
    expect(got.body.createdAt).toBeLessThanOrEqual(Date.now());
    // Neither the secret nor its hash is ever shown.
    expect(JSON.stringify(got.body)).not.toContain(key.slice(8));
    expect(got.body).not.toHaveProperty("hash");
    expect(got.body).not.toHaveProperty("plaintext");
  });

  test("a bare key: no prefix, 16 bytes by default, start = 4 chars, only the required fields", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { keyId, key } = await h().createKey(ws, apiId);
    expect(key).not.toContain("_");
    expect(bodyBytes(key).length).toBe(16);
    const got = await h().get("/v1/keys.getKey", { keyId }, ws.rootKey);
    expect(got.body).toEqual({
      id: keyId,
      start: key.slice(0, 4),
      workspaceId: ws.workspaceId,
      apiId,
      createdAt: expect.any(Number),
      roles: [],
      permissions: [],
      enabled: true,
    });
  });

  test("two keys never collide and their start is prefix_ plus 4 characters", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const a = await h().createKey(ws, apiId, { prefix: "pk" });
    const b = await h().createKey(ws, apiId, { prefix: "pk" });
    expect(a.key).not.toBe(b.key);
    expect(a.keyId).not.toBe(b.keyId);
    for (const k of [a, b]) {
      expect(k.key).toMatch(/^pk_[1-9A-HJ-NP-Za-km-z]+$/);
      const got = await h().get("/v1/keys.getKey", { keyId: k.keyId }, ws.rootKey);
      expect(got.body.start).toBe(k.key.slice(0, 7));
      expect(got.body.start).toMatch(/^pk_[1-9A-HJ-NP-Za-km-z]{4}$/);
    }
  });

  test("byteLength bounds: 16 and 255 are accepted, 15, 256 and fractions are 400", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    for (const byteLength of [16, 255]) {
      const { key } = await h().createKey(ws, apiId, { byteLength, prefix: "b" });
      expect(bodyBytes(key).length).toBe(byteLength);
      expect((await h().verify(key)).body.code).toBe("VALID");
    }
    for (const byteLength of [15, 256, 0, 20.5, "32"]) {
      expectError(await h().post("/v1/keys.createKey", { apiId, byteLength }, ws.rootKey), 400, "BAD_REQUEST");
    }
  });

  test("prefix rules: bad characters, too long and the root-key prefix are refused", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    for (const prefix of ["has space", "dash-ed", "trailing_", "_lead", "a".repeat(17), "kh_root", "kh_root_x", "é"]) {
      expectError(await h().post("/v1/keys.createKey", { apiId, prefix }, ws.rootKey), 400, "BAD_REQUEST");
    }
    const { key } = await h().createKey(ws, apiId, { prefix: "a".repeat(16) });
    expect(key.startsWith(`${"a".repeat(16)}_`)).toBe(true);
    const rows = (await h().snapshot()).keys!.filter((k: any) => k.api_id === apiId);
    expect(rows).toHaveLength(1); // none of the refused requests wrote a key
  });

  test("externalId is Unkey's name for ownerId", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { keyId, key } = await h().createKey(ws, apiId, { externalId: "ext_9" });
    expect((await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body.ownerId).toBe("ext_9");
    expect((await h().verify(key)).body.ownerId).toBe("ext_9");
  });

  test("refill daily has no refillDay; refillDay on a daily refill and refill without remaining are 400", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { keyId } = await h().createKey(ws, apiId, { remaining: 3, refill: { interval: "daily", amount: 10 } });
    const got = await h().get("/v1/keys.getKey", { keyId }, ws.rootKey);
    expect(got.body.remaining).toBe(3);
    expect(got.body.refill).toEqual({ interval: "daily", amount: 10, lastRefillAt: expect.any(Number) });

    const monthly = await h().createKey(ws, apiId, { remaining: 3, refill: { interval: "monthly", amount: 10 } });
    expect((await h().get("/v1/keys.getKey", { keyId: monthly.keyId }, ws.rootKey)).body.refill).toMatchObject({ refillDay: 1 });

    const bad = [
      { remaining: 3, refill: { interval: "daily", amount: 10, refillDay: 3 } },
      { refill: { interval: "daily", amount: 10 } },
      { remaining: 3, refill: { interval: "weekly", amount: 10 } },
      { remaining: 3, refill: { interval: "monthly", amount: 0 } },
      { remaining: 3, refill: { interval: "monthly", amount: 5, refillDay: 32 } },
      { remaining: 3, refill: { interval: "monthly", amount: 5, refillDay: 0 } },
      { remaining: -1 },
      { remaining: 2 ** 31 },
    ];
    for (const body of bad) {
      expectError(await h().post("/v1/keys.createKey", { apiId, ...body }, ws.rootKey), 400, "BAD_REQUEST");
    }
  });

  test("ratelimit with duration, or with Unkey's deprecated type/refillRate/refillInterval", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const modern = await h().createKey(ws, apiId, { ratelimit: { limit: 5, duration: 2000, async: true } });
    expect((await h().get("/v1/keys.getKey", { keyId: modern.keyId }, ws.rootKey)).body.ratelimit).toEqual({
      async: true,
      type: "fast",
      limit: 5,
      duration: 2000,
      refillRate: 5,
      refillInterval: 2000,
    });
    const legacy = await h().createKey(ws, apiId, { ratelimit: { type: "consistent", limit: 7, refillRate: 7, refillInterval: 3000 } });
    expect((await h().get("/v1/keys.getKey", { keyId: legacy.keyId }, ws.rootKey)).body.ratelimit).toEqual({
      async: false,
      type: "consistent",
      limit: 7,
      duration: 3000,
      refillRate: 7,
      refillInterval: 3000,
    });
    const v = await h().verify(legacy.key);
    expect(v.body).toMatchObject({ valid: true, ratelimit: { limit: 7, remaining: 6 } });

    for (const ratelimit of [{ limit: 5 }, { limit: 0, duration: 1000 }, { limit: 5, duration: 999 }, { limit: 5, refillInterval: 10 }]) {
      expectError(await h().post("/v1/keys.createKey", { apiId, ratelimit }, ws.rootKey), 400, "BAD_REQUEST");
    }
  });

  test("enabled:false creates a key that verifies DISABLED; environment is returned by verify", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const off = await h().createKey(ws, apiId, { enabled: false, environment: "test" });
    expect((await h().get("/v1/keys.getKey", { keyId: off.keyId }, ws.rootKey)).body.enabled).toBe(false);
    expect((await h().verify(off.key)).body).toMatchObject({ valid: false, code: "DISABLED", enabled: false, environment: "test" });
  });

  test("expires must be in the future and a timestamp", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    for (const expires of [Date.now() - 1000, 0, -5, 1.5, "tomorrow"]) {
      expectError(await h().post("/v1/keys.createKey", { apiId, expires }, ws.rootKey), 400, "BAD_REQUEST");
    }
  });

  test("roles and permissions are de-duplicated and sorted", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { keyId } = await h().createKey(ws, apiId, { roles: ["b", "a", "b"], permissions: ["z.write", "a.read", "a.read"] });
    const got = await h().get("/v1/keys.getKey", { keyId }, ws.rootKey);
    expect(got.body.roles).toEqual(["a", "b"]);
    expect(got.body.permissions).toEqual(["a.read", "z.write"]);
  });

  test("createKey auth: no root key 401, missing create_key 403, foreign or unknown API 404, per-API grant works", async () => {
    const ws = await h().workspace();
    const other = await h().workspace();
    const apiId = await h().createApi(ws);
    const second = await h().createApi(ws);
    const otherApi = await h().createApi(other);
    expectError(await h().post("/v1/keys.createKey", { apiId }), 401, "UNAUTHORIZED");
    expectError(await h().post("/v1/keys.createKey", { apiId: otherApi }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().post("/v1/keys.createKey", { apiId: "api_unknown" }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().post("/v1/keys.createKey", {}, ws.rootKey), 400, "BAD_REQUEST");
    const reader = await h().rootKey(ws, ["api.*.read_key"]);
    const denied = await h().post("/v1/keys.createKey", { apiId }, reader.key);
    expectError(denied, 403, "INSUFFICIENT_PERMISSIONS");
    expect(denied.body.error.message).toContain(`api.${apiId}.create_key`);
    const scoped = await h().rootKey(ws, [`api.${apiId}.create_key`]);
    expect((await h().post("/v1/keys.createKey", { apiId }, scoped.key)).status).toBe(200);
    expectError(await h().post("/v1/keys.createKey", { apiId: second }, scoped.key), 403, "INSUFFICIENT_PERMISSIONS");
  });

  test("recoverable: 403 without encrypt_key, 412 with recovery off, 503 without a vault, and nothing is written", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const creator = await h().rootKey(ws, ["api.*.create_key"]);
    const before = (await h().snapshot()).keys!.length;
    expectError(await h().post("/v1/keys.createKey", { apiId, recoverable: true }, creator.key), 403, "INSUFFICIENT_PERMISSIONS");
    expectError(await h().post("/v1/keys.createKey", { apiId, recoverable: true }, ws.rootKey), 412, "PRECONDITION_FAILED");
    // Recovery on but no vault configured in this harness: 503, still nothing written.
    await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, ws.rootKey);
    expectError(await h().post("/v1/keys.createKey", { apiId, recoverable: true }, ws.rootKey), 503, "SERVICE_UNAVAILABLE");
    expect((await h().snapshot()).keys!.length).toBe(before);
  });

  test("getKey: unknown and foreign keys are 404, read_key is required, decrypt needs decrypt_key", async () => {
    const ws = await h().workspace();
    const other = await h().workspace();
    const apiId = await h().createApi(ws);
    const { keyId } = await h().createKey(ws, apiId);
    const foreign = await h().createKey(other, await h().createApi(other));
    expectError(await h().get("/v1/keys.getKey", { keyId: "key_unknown" }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().get("/v1/keys.getKey", { keyId: foreign.keyId }, ws.rootKey), 404, "NOT_FOUND");
    expectError(await h().get("/v1/keys.getKey", { keyId }), 401, "UNAUTHORIZED");
    expectError(await h().get("/v1/keys.getKey", {}, ws.rootKey), 400, "BAD_REQUEST");
    expectError(await h().get("/v1/keys.getKey", { keyId, decrypt: "yes" }, ws.rootKey), 400, "BAD_REQUEST");
    const creator = await h().rootKey(ws, ["api.*.create_key"]);
    expectError(await h().get("/v1/keys.getKey", { keyId }, creator.key), 403, "INSUFFICIENT_PERMISSIONS");
    const reader = await h().rootKey(ws, [`api.${apiId}.read_key`]);
    expect((await h().get("/v1/keys.getKey", { keyId }, reader.key)).status).toBe(200);
    expectError(await h().get("/v1/keys.getKey", { keyId, decrypt: "true" }, reader.key), 403, "INSUFFICIENT_PERMISSIONS");
    // A key that was never stored recoverably: decrypt succeeds, without plaintext.
    const decrypted = await h().get("/v1/keys.getKey", { keyId, decrypt: "true" }, ws.rootKey);
    expect(decrypted.status).toBe(200);
    expect(decrypted.body).not.toHaveProperty("plaintext");
  });
});
