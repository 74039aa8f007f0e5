import { describe, expect, test } from "vitest";
import { forEachDatabase } from "../harness.ts";
import { expectError } from "./expect-error.ts";
import { roomyWindow } from "../adversarial/limits-helpers.ts";

forEachDatabase("keys.updateKey / keys.updateRemaining", (h) => {
  describe("updateKey", () => {
    async function setup(body: Record<string, unknown> = {}) {
      const ws = await h().workspace();
      const apiId = await h().createApi(ws);
      const { keyId, key } = await h().createKey(ws, apiId, body);
      const update = (fields: Record<string, unknown>, token = ws.rootKey) => h().post("/v1/keys.updateKey", { keyId, ...fields }, token);
      const read = async () => (await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body;
      return { ws, apiId, keyId, key, update, read };
    }

    test("each nullable field can be set, then cleared with null", async () => {
      const { update, read, key } = await setup();
      const expires = Date.now() + 86_400_000;
      const set = {
        name: "renamed",
        ownerId: "owner_2",
        meta: { tier: "gold", n: [1, 2] },
        expires,
        remaining: 42,
        refill: { interval: "monthly", amount: 100, refillDay: 5 },
        ratelimit: { limit: 3, duration: 5000 },
        environment: "staging",
      };
      const before = Date.now();
      const res = await update(set);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
      const after = await read();
      expect(after).toMatchObject({
        name: "renamed",
        ownerId: "owner_2",
        meta: { tier: "gold", n: [1, 2] },
        expires,
        remaining: 42,
        refill: { interval: "monthly", amount: 100, refillDay: 5, lastRefillAt: expect.any(Number) },
        ratelimit: { limit: 3, duration: 5000 },
        environment: "staging",
      });
      expect(after.updatedAt).toBeGreaterThanOrEqual(before);
      expect((await h().verify(key)).body).toMatchObject({ valid: true, name: "renamed", ownerId: "owner_2", remaining: 41, environment: "staging" });

      const clear = { name: null, ownerId: null, meta: null, expires: null, remaining: null, refill: null, ratelimit: null, environment: null };
      expect((await update(clear)).status).toBe(200);
      const cleared = await read();
      for (const field of Object.keys(clear)) expect(cleared, field).not.toHaveProperty(field);
      const v = await h().verify(key);
      expect(v.body).toMatchObject({ valid: true, code: "VALID" });
      for (const field of ["name", "ownerId", "meta", "expires", "remaining", "ratelimit", "environment"]) expect(v.body, field).not.toHaveProperty(field);
    });

    test("fields left out are left alone", async () => {
      const { update, read } = await setup({ name: "n", ownerId: "o", meta: { a: 1 }, remaining: 5, environment: "e", roles: ["r"], permissions: ["p"] });
      const before = await read();
      expect((await update({ name: "m" })).status).toBe(200);
      const after = await read();
      expect({ ...after, name: "n", updatedAt: undefined }).toEqual({ ...before, updatedAt: undefined });
      expect(after.name).toBe("m");
    });

    test("externalId sets and clears the owner, like ownerId", async () => {
      const { update, read } = await setup({ ownerId: "first" });
      await update({ externalId: "second" });
      expect((await read()).ownerId).toBe("second");
      await update({ externalId: null });
      expect(await read()).not.toHaveProperty("ownerId");
    });

    test("enabled toggles: false verifies DISABLED, true again VALID", async () => {
      const { update, read, key } = await setup();
      await update({ enabled: false });
      expect((await read()).enabled).toBe(false);
      expect((await h().verify(key)).body.code).toBe("DISABLED");
      await update({ enabled: true });
      expect((await h().verify(key)).body.code).toBe("VALID");
      expectError(await update({ enabled: null }), 400, "BAD_REQUEST");
    });

    test("roles and permissions are replaced, from strings or Unkey SDK {name} objects; [] empties them", async () => {
      const { update, read, key } = await setup({ roles: ["old_role"], permissions: ["old.perm", "keep.perm"] });
      expect((await update({ roles: ["admin", "dev"], permissions: ["keep.perm", "new.perm"] })).status).toBe(200);
      expect(await read()).toMatchObject({ roles: ["admin", "dev"], permissions: ["keep.perm", "new.perm"] });
      expect((await h().verify(key, { authorization: { permissions: "old.perm" } })).body.code).toBe("INSUFFICIENT_PERMISSIONS");
      expect((await h().verify(key, { authorization: { permissions: "new.perm" } })).body.code).toBe("VALID");

      expect((await update({ roles: [{ name: "viewer" }], permissions: [{ name: "sdk.read" }, { name: "sdk.write" }] })).status).toBe(200);
      expect(await read()).toMatchObject({ roles: ["viewer"], permissions: ["sdk.read", "sdk.write"] });

      expect((await update({ roles: [], permissions: [] })).status).toBe(200);
      expect(await read()).toMatchObject({ roles: [], permissions: [] });
      expect((await h().verify(key)).body).toMatchObject({ roles: [], permissions: [] });

      // Leaving them out keeps them.
      await update({ permissions: ["x.y"] });
      await update({ name: "n" });
      expect((await read()).permissions).toEqual(["x.y"]);
    });

    test("a role or permission object without a name is refused and changes nothing", async () => {
      const { update, read } = await setup({ permissions: ["a.b"] });
      expectError(await update({ permissions: [{}] }), 400, "BAD_REQUEST");
      expectError(await update({ permissions: [{ create: true }] }), 400, "BAD_REQUEST");
      expectError(await update({ permissions: [""] }), 400, "BAD_REQUEST");
      expect((await read()).permissions).toEqual(["a.b"]);
    });

    test("ratelimit through Unkey's deprecated refillInterval applies at once", async () => {
      const { update, read, key } = await setup();
      const window = roomyWindow(); // no window boundary between the three verifies
      await update({ ratelimit: { type: "fast", limit: 2, refillRate: 2, refillInterval: window } });
      expect((await read()).ratelimit).toEqual({ async: true, type: "fast", limit: 2, duration: window, refillRate: 2, refillInterval: window });
      expect((await h().verify(key)).body.code).toBe("VALID");
      expect((await h().verify(key)).body.code).toBe("VALID");
      expect((await h().verify(key)).body.code).toBe("RATE_LIMITED");
    });

    test("rule errors: refill without credits, unlimited credits while refilling, refillDay on daily, past expires", async () => {
      const { update, read } = await setup();
      expectError(await update({ refill: { interval: "daily", amount: 5 } }), 400, "BAD_REQUEST");
      expect((await update({ remaining: 1, refill: { interval: "daily", amount: 5 } })).status).toBe(200);
      expectError(await update({ remaining: null }), 400, "BAD_REQUEST");
      expectError(await update({ refill: { interval: "daily", amount: 5, refillDay: 2 } }), 400, "BAD_REQUEST");
      expectError(await update({ expires: Date.now() - 1 }), 400, "BAD_REQUEST");
      expectError(await update({ remaining: -1 }), 400, "BAD_REQUEST");
      expectError(await update({ meta: "text" }), 400, "BAD_REQUEST");
      expect(await read()).toMatchObject({ remaining: 1, refill: { interval: "daily", amount: 5 } });
      expect(await read()).not.toHaveProperty("expires");
      // Both cleared in one request is allowed.
      expect((await update({ remaining: null, refill: null })).status).toBe(200);
      const cleared = await read();
      expect(cleared).not.toHaveProperty("remaining");
      expect(cleared).not.toHaveProperty("refill");
    });

    test("access errors: unknown, foreign and deleted keys are 404; update_key is required", async () => {
      const { ws, apiId, keyId, update, read } = await setup({ name: "mine" });
      const other = await h().workspace();
      expectError(await h().post("/v1/keys.updateKey", { keyId: "key_unknown", name: "x" }, ws.rootKey), 404, "NOT_FOUND");
      expectError(await update({ name: "x" }, other.rootKey), 404, "NOT_FOUND");
      expectError(await update({ name: "x" }, "kh_root_bad"), 401, "UNAUTHORIZED");
      expectError(await h().post("/v1/keys.updateKey", { name: "x" }, ws.rootKey), 400, "BAD_REQUEST");
      const reader = await h().rootKey(ws, ["api.*.read_key", "api.*.create_key"]);
      const denied = await update({ name: "x" }, reader.key);
      expectError(denied, 403, "INSUFFICIENT_PERMISSIONS");
      expect(denied.body.error.message).toContain("update_key");
      expect((await read()).name).toBe("mine");
      const scoped = await h().rootKey(ws, [`api.${apiId}.update_key`]);
      expect((await update({ name: "scoped" }, scoped.key)).status).toBe(200);
      await h().post("/v1/keys.deleteKey", { keyId }, ws.rootKey);
      expectError(await update({ name: "x" }), 404, "NOT_FOUND");
    });
  });

  describe("updateRemaining", () => {
    async function setup(body: Record<string, unknown> = { remaining: 10 }) {
      const ws = await h().workspace();
      const apiId = await h().createApi(ws);
      const { keyId, key } = await h().createKey(ws, apiId, body);
      const op = (o: string, value: unknown, token = ws.rootKey) => h().post("/v1/keys.updateRemaining", { keyId, op: o, value }, token);
      const remaining = async () => (await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body.remaining;
      return { ws, apiId, keyId, key, op, remaining };
    }

    test("increment, decrement and set return and store the new balance", async () => {
      const { op, remaining, key } = await setup();
      expect((await op("increment", 5)).body).toEqual({ remaining: 15 });
      expect(await remaining()).toBe(15);
      expect((await op("decrement", 3)).body).toEqual({ remaining: 12 });
      expect(await remaining()).toBe(12);
      expect((await op("set", 2)).body).toEqual({ remaining: 2 });
      expect((await h().verify(key)).body.remaining).toBe(1);
      expect((await op("decrement", 100)).body).toEqual({ remaining: 0 });
      expect((await h().verify(key)).body.code).toBe("USAGE_EXCEEDED");
      expect((await op("increment", 2_147_483_647)).body).toEqual({ remaining: 2_147_483_647 });
    });

    test("set null makes the key unlimited; set a number limits it again", async () => {
      const { op, remaining, key } = await setup({ remaining: 1 });
      expect((await op("set", null)).body).toEqual({ remaining: null });
      expect(await remaining()).toBeUndefined();
      for (let i = 0; i < 3; i++) expect((await h().verify(key)).body).toMatchObject({ code: "VALID" });
      expect((await h().verify(key)).body).not.toHaveProperty("remaining");
      expect((await op("set", 1)).body).toEqual({ remaining: 1 });
      expect((await h().verify(key)).body).toMatchObject({ code: "VALID", remaining: 0 });
      expect((await h().verify(key)).body.code).toBe("USAGE_EXCEEDED");
    });

    test("400s: increment/decrement with null, on an unlimited key, set null while refilling, bad op or value", async () => {
      const { op, remaining } = await setup();
      expectError(await op("increment", null), 400, "BAD_REQUEST");
      expectError(await op("decrement", null), 400, "BAD_REQUEST");
      expectError(await op("multiply", 2), 400, "BAD_REQUEST");
      expectError(await op("set", -1), 400, "BAD_REQUEST");
      expectError(await op("set", 1.5), 400, "BAD_REQUEST");
      expectError(await op("set", "3"), 400, "BAD_REQUEST");
      expectError(await op("set", 2 ** 31), 400, "BAD_REQUEST");
      expect(await remaining()).toBe(10);

      const unlimited = await setup({});
      expectError(await unlimited.op("increment", 1), 400, "BAD_REQUEST");
      expectError(await unlimited.op("decrement", 1), 400, "BAD_REQUEST");
      expect(await unlimited.remaining()).toBeUndefined();

      const refilling = await setup({ remaining: 5, refill: { interval: "daily", amount: 5 } });
      expectError(await refilling.op("set", null), 400, "BAD_REQUEST");
      expect(await refilling.remaining()).toBe(5);
    });

    test("unknown and foreign keys 404, update_key required", async () => {
      const { ws, keyId, op, remaining } = await setup();
      const other = await h().workspace();
      expectError(await h().post("/v1/keys.updateRemaining", { keyId: "key_nope", op: "set", value: 1 }, ws.rootKey), 404, "NOT_FOUND");
      expectError(await op("set", 1, other.rootKey), 404, "NOT_FOUND");
      expectError(await h().post("/v1/keys.updateRemaining", { keyId, op: "set", value: 1 }), 401, "UNAUTHORIZED");
      const reader = await h().rootKey(ws, ["api.*.read_key"]);
      expectError(await op("set", 1, reader.key), 403, "INSUFFICIENT_PERMISSIONS");
      expect(await remaining()).toBe(10);
      await h().post("/v1/keys.deleteKey", { keyId }, ws.rootKey);
      expectError(await op("set", 1), 404, "NOT_FOUND");
    });
  });
});
