import { expect, test } from "vitest";
import type { Unkey } from "unkey-api-v2";
import * as errors from "unkey-api-v2/models/errors";
import { eq } from "drizzle-orm";
import { keys } from "../../src/db/schema.ts";
import { forEachDatabase } from "../harness.ts";
import { failure, useV2Sdk } from "./sdk-context.ts";
import { tamperTail } from "../tamper.ts";

/** The `error` part of a v2 error response (meta.requestId differs per request). */
async function errorOf(call: Promise<unknown>) {
  const e = await failure(call);
  expect(e).toBeInstanceOf(errors.UnkeyError);
  return { kind: (e as Error).constructor.name, error: (e as { data$?: { error: unknown } }).data$?.error };
}

const HOUR = 3_600_000;

forEachDatabase(
  "v2 key administration through @unkey/api 2.5.1",
  (h) => {
    const v2 = useV2Sdk(h);

    async function listAll(unkey: Unkey, request: { apiId: string; limit?: number; externalId?: string; decrypt?: boolean }) {
      const pages: { ids: string[]; hasMore: boolean; cursor?: string }[] = [];
      const data = [];
      for await (const page of await unkey.apis.listKeys(request)) {
        pages.push({ ids: page.result.data.map((k) => k.keyId), ...page.result.pagination });
        data.push(...page.result.data);
        if (pages.length > 20) throw new Error("paging does not end");
      }
      return { pages, data };
    }

    test("createKey with credits, refill, named limits, names, externalId, meta, recoverable; getKey shows it all, with the plaintext only on decrypt", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().recoverableApi(ws);
      const expires = Date.now() + HOUR;
      const created = await unkey.keys.createKey({
        apiId,
        prefix: "sk_test",
        name: "acme",
        externalId: "user_1",
        meta: { plan: "pro", nested: { n: 1 } },
        roles: ["billing", "admin"],
        permissions: ["dns.write", "dns.read", "dns.read"],
        expires,
        credits: { remaining: 100, refill: { interval: "monthly", amount: 500, refillDay: 15 } },
        ratelimits: [
          { name: "requests", limit: 10, duration: 60_000, autoApply: true },
          { name: "heavy", limit: 2, duration: 1000 },
        ],
        recoverable: true,
      });
      const { keyId, key } = created.data;
      expect(keyId).toMatch(/^key_/);
      expect(key).toMatch(/^sk_test_/);

      const plain = (await unkey.keys.getKey({ keyId })).data;
      expect(plain).toEqual({
        keyId,
        start: expect.any(String),
        enabled: true,
        name: "acme",
        meta: { plan: "pro", nested: { n: 1 } },
        createdAt: expect.any(Number),
        expires,
        permissions: ["dns.read", "dns.write"],
        roles: ["admin", "billing"],
        credits: { remaining: 100, refill: { interval: "monthly", amount: 500, refillDay: 15 } },
        identity: { id: expect.stringMatching(/^id_/), externalId: "user_1" },
        ratelimits: [
          { id: expect.stringMatching(/^rl_/), name: "requests", limit: 10, duration: 60_000, autoApply: true },
          { id: expect.stringMatching(/^rl_/), name: "heavy", limit: 2, duration: 1000, autoApply: false },
        ],
      });
      expect(key.startsWith(plain.start)).toBe(true);
      expect(plain.start.length).toBeLessThan(key.length);
      expect(Math.abs(plain.createdAt - Date.now())).toBeLessThan(60_000);

      const decrypted = (await unkey.keys.getKey({ keyId, decrypt: true })).data;
      expect(decrypted).toEqual({ ...plain, plaintext: key });

      // What was stored is what verify enforces: one credit spent, the auto-applied limit counted.
      const verified = await h().verify(key, { apiId });
      expect(verified.body).toMatchObject({ valid: true, remaining: 99, ownerId: "user_1" });
      expect((await unkey.keys.getKey({ keyId })).data.credits).toEqual({ remaining: 99, refill: { interval: "monthly", amount: 500, refillDay: 15 } });
    });

    test("unlimited credits have no credits object; a plain key has empty lists; decrypt of a key not stored recoverably has no plaintext; lastUsedAt is the column's", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().createApi(ws);
      const { keyId } = (await unkey.keys.createKey({ apiId, credits: { remaining: null } })).data;
      const data = (await unkey.keys.getKey({ keyId, decrypt: true })).data;
      expect(data).toEqual({ keyId, start: expect.any(String), enabled: true, createdAt: expect.any(Number), permissions: [], roles: [], ratelimits: [] });
      // keys.last_used_at is written in batches by verify's side (another component); here it is set as that writer would.
      await h().db.update(keys).set({ lastUsedAt: 1_767_225_600_000 }).where(eq(keys.id, keyId));
      expect((await unkey.keys.getKey({ keyId })).data.lastUsedAt).toBe(1_767_225_600_000);
      // Unkey's default for autoApply is false; the SDK always sends it, other clients may not.
      const raw = await h().post("/v2/keys.createKey", { apiId, ratelimits: [{ name: "r", limit: 1, duration: 1000 }] }, ws.rootKey);
      expect(raw.status).toBe(200);
      expect((await unkey.keys.getKey({ keyId: raw.body.data.keyId })).data.ratelimits).toEqual([
        { id: expect.stringMatching(/^rl_/), name: "r", limit: 1, duration: 1000, autoApply: false },
      ]);
    });

    test("recoverable on an API without recovery: 412, and no key is written", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().createApi(ws);
      const e = await failure(unkey.keys.createKey({ apiId, recoverable: true }));
      expect(e).toBeInstanceOf(errors.UnkeyError);
      expect((e as errors.UnkeyError).statusCode).toBe(412);
      expect(JSON.parse((e as errors.UnkeyError).body).error).toMatchObject({ status: 412, title: "Precondition Failed" });
      expect((await listAll(unkey, { apiId })).data).toEqual([]);
    });

    test("listKeys pages with cursor and hasMore through every key in creation order, filters by externalId, and decrypts", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().recoverableApi(ws);
      const made: { keyId: string; key: string; owner?: string }[] = [];
      for (let i = 0; i < 5; i++) {
        const owner = i % 2 === 0 ? "owner_a" : undefined;
        const { data } = await unkey.keys.createKey({ apiId, name: `k${i}`, recoverable: i < 3, ...(owner && { externalId: owner }) });
        made.push({ ...data, owner });
      }
      const paged = await listAll(unkey, { apiId, limit: 2 });
      expect(paged.pages.map((p) => p.ids.length)).toEqual([2, 2, 1]);
      expect(paged.pages.map((p) => p.hasMore)).toEqual([true, true, false]);
      expect(paged.pages[0]!.cursor).toEqual(expect.any(String));
      expect(paged.pages[2]).not.toHaveProperty("cursor");
      expect(paged.pages.flatMap((p) => p.ids)).toEqual(made.map((m) => m.keyId));
      // Each listed key is exactly what getKey shows.
      for (const listed of paged.data) expect(listed).toEqual((await unkey.keys.getKey({ keyId: listed.keyId })).data);
      expect(paged.data.some((k) => "plaintext" in k)).toBe(false);

      const owned = await listAll(unkey, { apiId, externalId: "owner_a" });
      expect(owned.data.map((k) => k.keyId)).toEqual(made.filter((m) => m.owner === "owner_a").map((m) => m.keyId));
      expect(owned.data.every((k) => k.identity?.externalId === "owner_a")).toBe(true);
      expect((await listAll(unkey, { apiId, externalId: "nobody" })).data).toEqual([]);

      const decrypted = await listAll(unkey, { apiId, decrypt: true });
      expect(decrypted.data.map((k) => k.plaintext)).toEqual(made.map((m, i) => (i < 3 ? m.key : undefined)));
    });

    test("updateKey changes the fields present and clears the ones sent as null", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().createApi(ws);
      const { keyId } = (
        await unkey.keys.createKey({
          apiId,
          name: "before",
          ratelimits: [
            { name: "keep", limit: 5, duration: 1000, autoApply: true },
            { name: "drop", limit: 1, duration: 1000 },
          ],
        })
      ).data;
      const before = (await unkey.keys.getKey({ keyId })).data;
      const keepId = before.ratelimits!.find((r) => r.name === "keep")!.id;
      const expires = Date.now() + HOUR;
      expect(
        (
          await unkey.keys.updateKey({
            keyId,
            name: "after",
            externalId: "user_9",
            meta: { tier: 2 },
            expires,
            credits: { remaining: 20, refill: { interval: "daily", amount: 20 } },
            ratelimits: [
              { name: "keep", limit: 50, duration: 1000, autoApply: false },
              { name: "new", limit: 3, duration: 5000 },
            ],
            enabled: false,
            roles: ["r1"],
            permissions: ["p1", "p2"],
          })
        ).data,
      ).toEqual({});
      const after = (await unkey.keys.getKey({ keyId })).data;
      expect(after).toEqual({
        ...before,
        name: "after",
        identity: { id: expect.stringMatching(/^id_/), externalId: "user_9" },
        meta: { tier: 2 },
        expires,
        credits: { remaining: 20, refill: { interval: "daily", amount: 20 } },
        ratelimits: [
          { id: keepId, name: "keep", limit: 50, duration: 1000, autoApply: false },
          { id: expect.stringMatching(/^rl_/), name: "new", limit: 3, duration: 5000, autoApply: false },
        ],
        enabled: false,
        roles: ["r1"],
        permissions: ["p1", "p2"],
        updatedAt: expect.any(Number),
      });

      // A field left out stays as it is.
      await unkey.keys.updateKey({ keyId, enabled: true });
      expect((await unkey.keys.getKey({ keyId })).data).toEqual({ ...after, enabled: true, updatedAt: expect.any(Number) });

      // remaining: null is unlimited, and the refill goes with it.
      await unkey.keys.updateKey({ keyId, credits: { remaining: null } });
      expect((await unkey.keys.getKey({ keyId })).data).not.toHaveProperty("credits");
      await unkey.keys.updateKey({ keyId, credits: { remaining: 7, refill: { interval: "monthly", amount: 9, refillDay: 3 } } });
      await unkey.keys.updateKey({ keyId, credits: { refill: null } });
      expect((await unkey.keys.getKey({ keyId })).data.credits).toEqual({ remaining: 7 });

      // Explicit nulls clear (the SDK's type has no null ratelimits, which Unkey's docs allow: sent raw).
      await unkey.keys.updateKey({ keyId, name: null, externalId: null, meta: null, expires: null, credits: null });
      const raw = await h().post("/v2/keys.updateKey", { keyId, ratelimits: null }, ws.rootKey);
      expect(raw.status).toBe(200);
      expect(raw.body.data).toEqual({});
      const cleared = (await unkey.keys.getKey({ keyId })).data;
      expect(cleared).toEqual({
        keyId,
        start: before.start,
        enabled: true,
        createdAt: before.createdAt,
        updatedAt: expect.any(Number),
        roles: ["r1"],
        permissions: ["p1", "p2"],
        ratelimits: [],
      });
      // roles and permissions are replaced, [] empties them.
      await unkey.keys.updateKey({ keyId, roles: [], permissions: ["p3"] });
      expect((await unkey.keys.getKey({ keyId })).data).toMatchObject({ roles: [], permissions: ["p3"] });
    });

    test("updateCredits: set, increment, decrement (stopping at 0) and set null, each answering the credits", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().createApi(ws);
      const { keyId } = (await unkey.keys.createKey({ apiId, credits: { remaining: 10, refill: { interval: "daily", amount: 10 } } })).data;
      const refill = { interval: "daily", amount: 10 };
      expect((await unkey.keys.updateCredits({ keyId, operation: "set", value: 50 })).data).toEqual({ remaining: 50, refill });
      expect((await unkey.keys.updateCredits({ keyId, operation: "increment", value: 5 })).data).toEqual({ remaining: 55, refill });
      expect((await unkey.keys.updateCredits({ keyId, operation: "decrement", value: 20 })).data).toEqual({ remaining: 35, refill });
      expect((await unkey.keys.updateCredits({ keyId, operation: "decrement", value: 1000 })).data).toEqual({ remaining: 0, refill });
      expect((await unkey.keys.getKey({ keyId })).data.credits).toEqual({ remaining: 0, refill });
      // Unlimited ends the refill, as in Unkey.
      expect((await unkey.keys.updateCredits({ keyId, operation: "set", value: null })).data).toEqual({ remaining: null });
      expect((await unkey.keys.getKey({ keyId })).data).not.toHaveProperty("credits");
      const bad = await errorOf(unkey.keys.updateCredits({ keyId, operation: "increment", value: 1 }));
      expect(bad.kind).toBe("BadRequestErrorResponse");
      expect(bad.error).toMatchObject({ status: 400, errors: [expect.objectContaining({ message: expect.stringMatching(/unlimited/) })] });
      const noValue = await errorOf(unkey.keys.updateCredits({ keyId, operation: "decrement" }));
      expect(noValue.kind).toBe("BadRequestErrorResponse");
      expect((await unkey.keys.updateCredits({ keyId, operation: "set", value: 3 })).data).toEqual({ remaining: 3 });
    });

    test("permission edits are idempotent and answer the key's whole list, with stable ids and slug = name", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().createApi(ws);
      const { keyId } = (await unkey.keys.createKey({ apiId, permissions: ["start"] })).data;
      const added = (await unkey.keys.addPermissions({ keyId, permissions: ["b.read", "a.read", "b.read"] })).data;
      expect(added.map((p) => p.name)).toEqual(["a.read", "b.read", "start"]);
      for (const p of added) expect(p).toEqual({ id: expect.stringMatching(/^perm_[1-9A-HJ-NP-Za-km-z]{22}$/), name: p.name, slug: p.name });
      const again = (await unkey.keys.addPermissions({ keyId, permissions: ["a.read", "c.read"] })).data;
      expect(again.map((p) => p.name)).toEqual(["a.read", "b.read", "c.read", "start"]);
      // The same name has the same id, on this key and on any other of the workspace.
      expect(again.find((p) => p.name === "a.read")!.id).toBe(added.find((p) => p.name === "a.read")!.id);
      const { keyId: other } = (await unkey.keys.createKey({ apiId })).data;
      expect((await unkey.keys.setPermissions({ keyId: other, permissions: ["a.read"] })).data).toEqual([added.find((p) => p.name === "a.read")]);

      const removed = (await unkey.keys.removePermissions({ keyId, permissions: ["b.read", "never.had"] })).data;
      expect(removed.map((p) => p.name)).toEqual(["a.read", "c.read", "start"]);
      expect((await unkey.keys.removePermissions({ keyId, permissions: ["b.read"] })).data).toEqual(removed);
      const set = (await unkey.keys.setPermissions({ keyId, permissions: ["x", "x", "y"] })).data;
      expect(set.map((p) => p.name)).toEqual(["x", "y"]);
      expect((await unkey.keys.getKey({ keyId })).data.permissions).toEqual(["x", "y"]);
      expect((await unkey.keys.setPermissions({ keyId, permissions: [] })).data).toEqual([]);
      expect((await unkey.keys.getKey({ keyId })).data.permissions).toEqual([]);

      // Concurrent adds to one key: each commits, none is lost.
      const names = Array.from({ length: 8 }, (_, i) => `c${i}`);
      await Promise.all(names.map((n) => unkey.keys.addPermissions({ keyId, permissions: [n] })));
      expect((await unkey.keys.getKey({ keyId })).data.permissions).toEqual(names);

      // A name's id is per workspace: the same name elsewhere has another id.
      const o = await h().workspace();
      const otherApi = await h().createApi(o);
      const foreign = await h().createKey(o, otherApi);
      const theirs = (await v2().sdk(o.rootKey).keys.addPermissions({ keyId: foreign.keyId, permissions: ["a.read"] })).data;
      expect(theirs[0]!.id).not.toBe(added.find((p) => p.name === "a.read")!.id);
    });

    test("role edits are idempotent and answer the key's whole list", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().createApi(ws);
      const { keyId } = (await unkey.keys.createKey({ apiId })).data;
      const added = (await unkey.keys.addRoles({ keyId, roles: ["editor", "admin"] })).data;
      expect(added).toEqual([
        { id: expect.stringMatching(/^role_/), name: "admin" },
        { id: expect.stringMatching(/^role_/), name: "editor" },
      ]);
      expect((await unkey.keys.addRoles({ keyId, roles: ["admin"] })).data).toEqual(added);
      expect((await unkey.keys.removeRoles({ keyId, roles: ["editor", "ghost"] })).data).toEqual([added[0]]);
      const set = (await unkey.keys.setRoles({ keyId, roles: ["viewer", "admin"] })).data;
      expect(set.map((r) => r.name)).toEqual(["admin", "viewer"]);
      expect(set[0]).toEqual(added[0]);
      expect((await unkey.keys.getKey({ keyId })).data.roles).toEqual(["admin", "viewer"]);
      expect((await unkey.keys.setRoles({ keyId, roles: [] })).data).toEqual([]);
      const empty = await errorOf(unkey.keys.addRoles({ keyId, roles: [] }));
      expect(empty).toMatchObject({ kind: "BadRequestErrorResponse", error: { errors: [expect.objectContaining({ location: "body.roles" })] } });
    });

    test("deleteKey: getKey then answers NotFoundErrorResponse, soft or permanent", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().createApi(ws);
      for (const permanent of [false, true]) {
        const { keyId, key } = (await unkey.keys.createKey({ apiId })).data;
        expect((await unkey.keys.deleteKey({ keyId, permanent })).data).toEqual({});
        const gone = await errorOf(unkey.keys.getKey({ keyId }));
        expect(gone).toMatchObject({ kind: "NotFoundErrorResponse", error: { status: 404, title: "Not Found" } });
        expect((await errorOf(unkey.keys.whoami({ key }))).kind).toBe("NotFoundErrorResponse");
        expect((await h().verify(key)).body.code).toBe("NOT_FOUND");
        expect(await errorOf(unkey.keys.deleteKey({ keyId }))).toEqual(gone);
      }
    });

    test("whoami finds the key by its plaintext, never with the plaintext; a missing key, another workspace's and one the root key may not read answer alike", async () => {
      const { unkey, ws, sdk } = v2();
      const apiId = await h().recoverableApi(ws);
      const { keyId, key } = (await unkey.keys.createKey({ apiId, name: "me", externalId: "u", permissions: ["p"], credits: { remaining: 5 }, recoverable: true })).data;
      const who = (await unkey.keys.whoami({ key })).data;
      expect(who).toEqual((await unkey.keys.getKey({ keyId })).data);
      expect(who).not.toHaveProperty("plaintext");
      expect(JSON.stringify(who)).not.toContain(key);

      const missing = await errorOf(unkey.keys.whoami({ key: tamperTail(key, 4) }));
      expect(missing.kind).toBe("NotFoundErrorResponse");
      const o = await h().workspace();
      const theirs = await h().createKey(o, await h().createApi(o));
      expect(await errorOf(unkey.keys.whoami({ key: theirs.key }))).toEqual(missing);
      const otherApiReader = await h().rootKey(ws, ["api.api_other.read_key"]);
      expect(await errorOf(sdk(otherApiReader.key).keys.whoami({ key }))).toEqual(missing);
      const reader = await h().rootKey(ws, [`api.${apiId}.read_key`]);
      expect((await sdk(reader.key).keys.whoami({ key })).data.keyId).toBe(keyId);
    });

    test("another workspace's keyId, key or apiId answers exactly like a missing one, for every operation, and is left unchanged", async () => {
      const { unkey } = v2();
      const o = await h().workspace();
      const theirApi = await h().recoverableApi(o);
      const theirs = await h().createKey(o, theirApi, { name: "theirs", remaining: 5, permissions: ["p"], roles: ["r"], recoverable: true });
      const before = (await h().get("/v1/keys.getKey", { keyId: theirs.keyId }, o.rootKey)).body;
      const missingKey = "key_1111111111111111111111";
      const missingApi = "api_1111111111111111111111";

      const byKeyId = (keyId: string) => [
        unkey.keys.getKey({ keyId }),
        unkey.keys.getKey({ keyId, decrypt: true }),
        unkey.keys.updateKey({ keyId, name: "mine now", enabled: false }),
        unkey.keys.updateCredits({ keyId, operation: "set", value: 1000 }),
        unkey.keys.addPermissions({ keyId, permissions: ["x"] }),
        unkey.keys.removePermissions({ keyId, permissions: ["p"] }),
        unkey.keys.setPermissions({ keyId, permissions: [] }),
        unkey.keys.addRoles({ keyId, roles: ["x"] }),
        unkey.keys.removeRoles({ keyId, roles: ["r"] }),
        unkey.keys.setRoles({ keyId, roles: [] }),
        unkey.keys.deleteKey({ keyId }),
      ];
      const foreign = await Promise.all(byKeyId(theirs.keyId).map(errorOf));
      const missing = await Promise.all(byKeyId(missingKey).map(errorOf));
      expect(foreign).toEqual(missing);
      for (const e of foreign) expect(e).toMatchObject({ kind: "NotFoundErrorResponse", error: { status: 404 } });

      const byApi = (apiId: string) => [unkey.keys.createKey({ apiId }), unkey.apis.listKeys({ apiId })];
      expect(await Promise.all(byApi(theirApi).map(errorOf))).toEqual(await Promise.all(byApi(missingApi).map(errorOf)));
      expect(await errorOf(unkey.keys.whoami({ key: theirs.key }))).toEqual(await errorOf(unkey.keys.whoami({ key: "sk_1111111111111111111111" })));

      expect((await h().get("/v1/keys.getKey", { keyId: theirs.keyId }, o.rootKey)).body).toEqual(before);
    });

    test("bad input is a BadRequestErrorResponse with errors[] naming the field; a root key lacking the permission a ForbiddenErrorResponse", async () => {
      const { unkey, ws, sdk } = v2();
      const apiId = await h().createApi(ws);
      const { keyId } = (await unkey.keys.createKey({ apiId })).data;
      const cases: [() => Promise<unknown>, string][] = [
        [() => unkey.keys.createKey({ apiId, byteLength: 8 }), "body.byteLength"],
        [() => unkey.keys.createKey({ apiId, name: "" }), "body.name"],
        [() => unkey.keys.createKey({ apiId, ratelimits: [{ name: "r", limit: 1, duration: 10 }] }), "body.ratelimits.0.duration"],
        [() => unkey.keys.createKey({ apiId, credits: { remaining: -1 } }), "body.credits.remaining"],
        [() => unkey.keys.createKey({ apiId, meta: { __proto__x: 1, bad: "\u0000" } }), "body.meta.bad"],
        [() => unkey.keys.createKey({ apiId, permissions: ["x".repeat(513)] }), "body.permissions.0"],
        [() => unkey.keys.createKey({ apiId, ratelimits: Array.from({ length: 21 }, (_, i) => ({ name: `r${i}`, limit: 1, duration: 1000 })) }), "body.ratelimits"],
        [() => unkey.keys.updateKey({ keyId, expires: -5 }), "body.expires"],
        [() => unkey.keys.updateCredits({ keyId, operation: "set", value: 2 ** 31 }), "body.value"],
        [() => unkey.keys.addPermissions({ keyId, permissions: Array.from({ length: 1001 }, (_, i) => `p${i}`) }), "body.permissions"],
        [() => unkey.keys.whoami({ key: "k".repeat(1000) }), "body.key"],
        [() => unkey.apis.listKeys({ apiId, limit: 101 }), "body.limit"],
      ];
      // Thunks, called one at a time: a promise made ahead and awaited later would be an unhandled rejection meanwhile.
      for (const [call, location] of cases) {
        const e = await errorOf(call());
        expect(e.kind, location).toBe("BadRequestErrorResponse");
        expect((e.error as { errors: { location: string }[] }).errors.map((x) => x.location), location).toContain(location);
      }
      // Rules the service checks answer the same way, with the message in errors[].
      for (const call of [
        () => unkey.keys.createKey({ apiId, expires: Date.now() - 1000 }),
        () => unkey.keys.createKey({ apiId, credits: { remaining: null, refill: { interval: "daily", amount: 5 } } }),
        () => unkey.keys.createKey({ apiId, ratelimits: [{ name: "same", limit: 1, duration: 1000 }, { name: "same", limit: 2, duration: 1000 }] }),
        () => unkey.keys.updateKey({ keyId, credits: { refill: { interval: "daily", amount: 1 } } }),
      ]) {
        const e = await errorOf(call());
        expect(e.kind).toBe("BadRequestErrorResponse");
        expect(e.error).toMatchObject({ status: 400, errors: [{ location: "body", message: expect.any(String) }] });
      }

      const reader = sdk((await h().rootKey(ws, ["api.*.read_key"])).key);
      for (const call of [
        () => reader.keys.createKey({ apiId }),
        () => reader.keys.updateKey({ keyId, name: "x" }),
        () => reader.keys.updateCredits({ keyId, operation: "set", value: 1 }),
        () => reader.keys.addPermissions({ keyId, permissions: ["x"] }),
        () => reader.keys.setRoles({ keyId, roles: ["x"] }),
        () => reader.keys.deleteKey({ keyId }),
        () => reader.keys.getKey({ keyId, decrypt: true }),
        () => reader.apis.listKeys({ apiId, decrypt: true }),
      ]) {
        expect(await errorOf(call())).toMatchObject({ kind: "ForbiddenErrorResponse", error: { status: 403 } });
      }
      const creator = sdk((await h().rootKey(ws, [`api.${apiId}.create_key`])).key);
      expect((await errorOf(creator.keys.createKey({ apiId, recoverable: true }))).kind).toBe("ForbiddenErrorResponse");
      expect((await errorOf(sdk((await h().rootKey(ws, ["api.*.update_key"])).key).keys.getKey({ keyId }))).kind).toBe("ForbiddenErrorResponse");
      // None of the refused calls changed the key.
      expect((await unkey.keys.getKey({ keyId })).data).toEqual({ keyId, start: expect.any(String), enabled: true, createdAt: expect.any(Number), permissions: [], roles: [], ratelimits: [] });
      await expect(sdk("kh_root_nope").keys.getKey({ keyId })).rejects.toBeInstanceOf(errors.UnauthorizedErrorResponse);
    });
  },
  { vault: true },
);
