import { expect, test } from "vitest";
import * as errors from "unkey-api-v2/models/errors";
import { forEachDatabase } from "../harness.ts";
import { useV2Sdk } from "./sdk-context.ts";

const HOUR = 3_600_000;

/**
 * v1 and v2 are two wires over one store: a key made through either is read, changed and
 * deleted through the other with the same data.
 */
forEachDatabase(
  "v1 and v2 on the same keys",
  (h) => {
    const v2 = useV2Sdk(h);

    test("a key created through v1 reads, updates and deletes through v2 with the same data", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().recoverableApi(ws);
      const expires = Date.now() + HOUR;
      const { keyId, key } = await h().createKey(ws, apiId, {
        name: "v1 key",
        ownerId: "owner_1",
        meta: { from: "v1" },
        expires,
        remaining: 40,
        refill: { interval: "monthly", amount: 40, refillDay: 2 },
        ratelimit: { type: "fast", limit: 7, duration: 2000 },
        roles: ["admin"],
        permissions: ["read", "write"],
        recoverable: true,
      });
      const v1 = (await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body;
      expect(v1).not.toHaveProperty("ratelimits");
      expect(v1).not.toHaveProperty("lastUsedAt");

      const data = (await unkey.keys.getKey({ keyId, decrypt: true })).data;
      expect(data).toEqual({
        keyId,
        start: v1.start,
        enabled: true,
        name: "v1 key",
        meta: { from: "v1" },
        createdAt: v1.createdAt,
        expires,
        permissions: ["read", "write"],
        roles: ["admin"],
        credits: { remaining: 40, refill: { interval: "monthly", amount: 40, refillDay: 2 } },
        identity: { id: expect.stringMatching(/^id_/), externalId: "owner_1" },
        ratelimits: [{ id: expect.stringMatching(/^rl_/), name: "default", limit: 7, duration: 2000, autoApply: true }],
        plaintext: key,
      });
      const listed = (await unkey.apis.listKeys({ apiId, externalId: "owner_1" })).result.data;
      const { plaintext: _plaintext, ...withoutPlaintext } = data;
      expect(listed).toEqual([withoutPlaintext]);
      expect((await unkey.keys.whoami({ key })).data.keyId).toBe(keyId);

      await unkey.keys.updateKey({ keyId, name: "renamed in v2", externalId: "owner_2", credits: { remaining: 12 } });
      await unkey.keys.addPermissions({ keyId, permissions: ["admin.all"] });
      await unkey.keys.removeRoles({ keyId, roles: ["admin"] });
      expect((await unkey.keys.updateCredits({ keyId, operation: "decrement", value: 2 })).data.remaining).toBe(10);
      const after = (await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body;
      expect(after).toEqual({
        ...v1,
        name: "renamed in v2",
        ownerId: "owner_2",
        identity: { id: expect.stringMatching(/^id_/), externalId: "owner_2" },
        remaining: 10,
        refill: v1.refill,
        permissions: ["admin.all", "read", "write"],
        roles: [],
        updatedAt: expect.any(Number),
      });

      expect((await unkey.keys.deleteKey({ keyId })).data).toEqual({});
      expect((await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).status).toBe(404);
      expect((await h().verify(key)).body.code).toBe("NOT_FOUND");
    });

    test("a key created through v2 reads and updates through v1: default limit as ratelimit, externalId as ownerId, credits as remaining/refill", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().createApi(ws);
      const { keyId, key } = (
        await unkey.keys.createKey({
          apiId,
          name: "v2 key",
          externalId: "ext_1",
          meta: { from: "v2" },
          credits: { remaining: 30, refill: { interval: "daily", amount: 30 } },
          ratelimits: [
            { name: "default", limit: 9, duration: 3000, autoApply: true },
            { name: "uploads", limit: 2, duration: 60_000 },
          ],
          roles: ["r"],
          permissions: ["p"],
        })
      ).data;
      const v1 = (await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body;
      expect(v1).toEqual({
        id: keyId,
        start: expect.any(String),
        workspaceId: ws.workspaceId,
        apiId,
        name: "v2 key",
        ownerId: "ext_1",
        identity: { id: expect.stringMatching(/^id_/), externalId: "ext_1" },
        meta: { from: "v2" },
        createdAt: expect.any(Number),
        remaining: 30,
        refill: { interval: "daily", amount: 30, lastRefillAt: expect.any(Number) },
        ratelimit: { async: false, type: "consistent", limit: 9, duration: 3000, refillRate: 9, refillInterval: 3000 },
        roles: ["r"],
        permissions: ["p"],
        enabled: true,
      });
      const v1List = (await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey)).body;
      expect(v1List.keys).toEqual([v1]);
      const before = (await unkey.keys.getKey({ keyId })).data;

      // v1 edits its one limit (the "default"); v2's other limits stay, ids kept.
      expect((await h().post("/v1/keys.updateKey", { keyId, ratelimit: { limit: 5, duration: 3000 }, ownerId: "ext_2", roles: ["r", "s"] }, ws.rootKey)).status).toBe(200);
      expect((await h().post("/v1/keys.updateRemaining", { keyId, op: "increment", value: 5 }, ws.rootKey)).body).toEqual({ remaining: 35 });
      const after = (await unkey.keys.getKey({ keyId })).data;
      expect(after).toEqual({
        ...before,
        identity: { id: expect.stringMatching(/^id_/), externalId: "ext_2" },
        roles: ["r", "s"],
        credits: { remaining: 35, refill: { interval: "daily", amount: 30 } },
        // v1's edit keeps the other limits as they were and puts its "default" after them.
        ratelimits: [before.ratelimits![1], { ...before.ratelimits![0]!, limit: 5 }],
        updatedAt: expect.any(Number),
      });
      expect(after.ratelimits!.map((r) => r.id).sort()).toEqual(before.ratelimits!.map((r) => r.id).sort());

      // v1 clearing its limit removes only "default".
      await h().post("/v1/keys.updateKey", { keyId, ratelimit: null }, ws.rootKey);
      expect((await unkey.keys.getKey({ keyId })).data.ratelimits!.map((r) => r.name)).toEqual(["uploads"]);
      expect((await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body).not.toHaveProperty("ratelimit");

      // The same key verifies through v1 with what v2 set.
      expect((await h().verify(key)).body).toMatchObject({ valid: true, ownerId: "ext_2", remaining: 34, roles: ["r", "s"] });

      expect((await h().post("/v1/keys.deleteKey", { keyId }, ws.rootKey)).status).toBe(200);
      await expect(unkey.keys.getKey({ keyId })).rejects.toBeInstanceOf(errors.NotFoundErrorResponse);
    });
  },
  { vault: true },
);
