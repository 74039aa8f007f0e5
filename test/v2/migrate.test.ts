import { createHash, randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { expect, test } from "vitest";
import * as errors from "unkey-api-v2/models/errors";
import { operationExamples } from "../../src/api/openapi/examples.ts";
import { sha256Hex } from "../../src/crypto/hash.ts";
import { executeRows } from "../../src/db/execute-rows.ts";
import { type Harness, type Workspace, forEachDatabase, onTwoInstances } from "../harness.ts";
import { useV2Sdk } from "./sdk-context.ts";
import { roomyWindow } from "../adversarial/limits-helpers.ts";

/** A key as another system issued it: no Keyhold checksum. */
const foreignKey = (prefix = "") => `${prefix}${randomBytes(18).toString("base64url").replace(/[-_]/g, "x")}`;
const b64 = (key: string) => createHash("sha256").update(key).digest("base64");
const hex = (key: string) => createHash("sha256").update(key).digest("hex");

/** A Keyhold key of `ws` whose stored hash is swapped for that of `lookalike`: the row is there, only verify's gate decides. */
async function rowHashedAs(h: Harness, ws: Workspace, apiId: string, lookalike: string): Promise<string> {
  const { keyId } = await h.createKey(ws, apiId, { name: "lookalike" });
  await h.db.execute(sql`update keys set hash = ${sha256Hex(lookalike)} where id = ${keyId}`);
  return keyId;
}

/** A Keyhold-format key with its last (checksum) character changed: well formed, wrong checksum. */
function badChecksum(key: string): string {
  const last = key.at(-1)!;
  return key.slice(0, -1) + (last === "a" ? "b" : "a");
}

forEachDatabase("v2 keys.migrateKeys and v1 migrations.createKeys", (h) => {
  const v2 = useV2Sdk(h);
  const verify = (key: string, rootKey?: string) => h().post("/v1/keys.verifyKey", { key }, rootKey).then((r) => r.body);

  // First in the file: it needs a database without imports, so that the unscoped gate is closed too.
  test("a key failing the checksum is not looked up where no import may hold it, and is once an import opens the workspace", async () => {
    const [row] = await executeRows<{ n: number }>(h().db, sql`select count(*)::int as n from imported_key_prefixes`);
    expect(row?.n).toBe(0);
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { key } = await h().createKey(ws, apiId);
    const bad = badChecksum(key);
    const keyId = await rowHashedAs(h(), ws, apiId, bad);
    // The row with its hash is in the database: NOT_FOUND here means verify never read it.
    expect(await verify(bad, ws.rootKey)).toMatchObject({ valid: false, code: "NOT_FOUND" });
    expect(await verify(bad)).toMatchObject({ valid: false, code: "NOT_FOUND" });

    const other = await h().workspace();
    const imported = foreignKey();
    await v2().sdk(ws.rootKey).keys.migrateKeys({ migrationId: "sha256_hex", apiId, keys: [{ hash: hex(imported) }] });
    // The same row, now looked up: the gate was all that stood between.
    expect(await verify(bad, ws.rootKey)).toMatchObject({ valid: true, code: "VALID", keyId });
    expect(await verify(bad)).toMatchObject({ valid: true, keyId });
    // Another workspace holds no imports: its root key still gets NOT_FOUND without a lookup.
    expect(await verify(bad, other.rootKey)).toMatchObject({ valid: false, code: "NOT_FOUND" });
    expect(await verify(imported)).toMatchObject({ valid: true, code: "VALID" });
  });

  test("sha256_base64 and sha256_hex imports verify through v1 with their settings, with and without a root key", async () => {
    const { unkey, ws } = v2();
    const apiId = (await unkey.apis.createApi({ name: "imports" })).data.apiId;
    const one = foreignKey("acme_live_");
    const two = foreignKey();
    const res = await unkey.keys.migrateKeys({
      migrationId: "sha256_base64",
      apiId,
      keys: [
        {
          hash: b64(one),
          name: "one",
          externalId: "user_1",
          meta: { plan: "pro" },
          permissions: ["docs.read"],
          roles: ["admin"],
          credits: { remaining: 5 },
          ratelimits: [{ name: "requests", limit: 2, duration: roomyWindow(), autoApply: true }],
        },
      ],
    });
    expect(res.data.failed).toEqual([]);
    expect(res.data.migrated).toEqual([{ hash: b64(one), keyId: expect.stringMatching(/^key_/) }]);
    const keyId = res.data.migrated[0]!.keyId;
    // Upper case hex is the same digest: stored normalised, so verify finds it.
    const hexed = await unkey.keys.migrateKeys({ migrationId: "sha256_hex", apiId, keys: [{ hash: hex(two).toUpperCase(), enabled: false }] });
    expect(hexed.data.migrated).toHaveLength(1);

    const first = await verify(one);
    expect(first).toMatchObject({ valid: true, code: "VALID", keyId, name: "one", ownerId: "user_1", meta: { plan: "pro" }, remaining: 4 });
    expect(first).toMatchObject({ permissions: ["docs.read"], roles: ["admin"] });
    expect(await verify(one, ws.rootKey)).toMatchObject({ valid: true, remaining: 3 });
    expect(await verify(one)).toMatchObject({ valid: false, code: "RATE_LIMITED" }); // the imported limit: 2 a minute
    expect(await verify(two, ws.rootKey)).toMatchObject({ valid: false, code: "DISABLED", keyId: hexed.data.migrated[0]!.keyId });
    const stranger = await h().workspace();
    expect(await verify(two, stranger.rootKey)).toMatchObject({ valid: false, code: "NOT_FOUND" });

    const view = (await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body;
    expect(view).toMatchObject({ id: keyId, apiId, start: "", name: "one", ownerId: "user_1", remaining: 3, enabled: true });
    const [row] = await executeRows<{ migration_id: string; hash: string }>(h().db, sql`select migration_id, hash from keys where id = ${keyId}`);
    expect(row).toEqual({ migration_id: "sha256_base64", hash: hex(one) });
  });

  test("duplicates land in failed: already stored (any workspace, any encoding), sent twice, or imported concurrently", async () => {
    const { unkey, ws } = v2();
    const apiId = (await unkey.apis.createApi({ name: "dupes" })).data.apiId;
    const other = await h().workspace();
    const otherApi = await h().createApi(other);
    const taken = foreignKey();
    await v2().sdk(other.rootKey).keys.migrateKeys({ migrationId: "sha256_hex", apiId: otherApi, keys: [{ hash: hex(taken) }] });
    const twice = foreignKey();
    const fresh = foreignKey();
    const res = await unkey.keys.migrateKeys({
      migrationId: "sha256_base64",
      apiId,
      keys: [{ hash: b64(twice) }, { hash: b64(taken) }, { hash: b64(fresh) }, { hash: b64(twice), name: "again" }],
    });
    expect(res.data.migrated.map((m) => m.hash)).toEqual([b64(twice), b64(fresh)]);
    expect(res.data.failed).toEqual([b64(taken), b64(twice)]);
    expect(await verify(taken, other.rootKey)).toMatchObject({ valid: true }); // the first import stands
    expect(await verify(twice, ws.rootKey)).toMatchObject({ valid: true });

    // Concurrent imports of the same hashes, in opposite orders: each hash lands exactly once, no 500 (nor deadlock).
    const raced = Array.from({ length: 40 }, () => hex(foreignKey()));
    const both = await Promise.all(
      [raced, [...raced].reverse()].map((list) => unkey.keys.migrateKeys({ migrationId: "sha256_hex", apiId, keys: list.map((hash) => ({ hash })) })),
    );
    const landed = both.flatMap((r) => r.data.migrated.map((m) => m.hash));
    expect(landed.sort()).toEqual([...raced].sort());
    expect(both.flatMap((r) => r.data.failed).sort()).toEqual([...raced].sort());
  });

  test("another workspace's API is NOT_FOUND like a missing one; an unknown migration is 404; permissions per API", async () => {
    const { unkey, sdk, ws } = v2();
    const apiId = (await unkey.apis.createApi({ name: "perm" })).data.apiId;
    const other = await h().workspace();
    const foreign = await h().createApi(other);
    const body = (api: string, migrationId = "sha256_hex") => ({ migrationId, apiId: api, keys: [{ hash: hex(foreignKey()) }] });
    const a = await unkey.keys.migrateKeys(body(foreign)).catch((e: unknown) => e);
    const b = await unkey.keys.migrateKeys(body("api_missing")).catch((e: unknown) => e);
    expect(a).toBeInstanceOf(errors.NotFoundErrorResponse);
    expect((a as errors.NotFoundErrorResponse).data$.error).toEqual((b as errors.NotFoundErrorResponse).data$.error);
    const unknown = await unkey.keys.migrateKeys(body(apiId, "bcrypt")).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(errors.NotFoundErrorResponse);
    expect((unknown as errors.NotFoundErrorResponse).data$.error.detail).toMatch(/migration bcrypt/);

    const elsewhere = await h().rootKey(ws, ["api.api_other.create_key"]);
    await expect(sdk(elsewhere.key).keys.migrateKeys(body(apiId))).rejects.toBeInstanceOf(errors.ForbiddenErrorResponse);
    const scoped = await h().rootKey(ws, [`api.${apiId}.create_key`]);
    expect((await sdk(scoped.key).keys.migrateKeys(body(apiId))).data.migrated).toHaveLength(1);
  });

  test("bad input is a 400 with errors[] at the field, and refuses the whole batch", async () => {
    const { unkey, ws } = v2();
    const apiId = (await unkey.apis.createApi({ name: "bad" })).data.apiId;
    const good = foreignKey();
    const short = createHash("sha256").update("x").digest().subarray(0, 31).toString("base64");
    const cases: [string, string, string][] = [
      ["sha256_base64", short, "body.keys.1.hash"],
      ["sha256_base64", hex(good), "body.keys.1.hash"],
      ["sha256_hex", hex(good).slice(1), "body.keys.1.hash"],
      ["sha256_hex", b64(good), "body.keys.1.hash"],
    ];
    for (const [migrationId, hash, location] of cases) {
      const first = migrationId === "sha256_hex" ? hex(good) : b64(good);
      const bad = await unkey.keys.migrateKeys({ migrationId, apiId, keys: [{ hash: first }, { hash }] }).catch((e: unknown) => e);
      expect(bad, `${migrationId} ${hash}`).toBeInstanceOf(errors.BadRequestErrorResponse);
      expect((bad as errors.BadRequestErrorResponse).data$.error.errors.map((e) => e.location)).toEqual([location]);
    }
    // A rule across fields (a past expiry), caught by the service: still 400, and nothing of the batch written.
    const past = await h().post(
      "/v2/keys.migrateKeys",
      { migrationId: "sha256_hex", apiId, keys: [{ hash: hex(good) }, { hash: hex(foreignKey()), expires: Date.now() - 1000 }] },
      ws.rootKey,
    );
    expect(past.status).toBe(400);
    expect(past.body.error.detail).toMatch(/^keys\.1: expires/);
    expect(await verify(good, ws.rootKey)).toMatchObject({ code: "NOT_FOUND" });
    const tooMany = await h().post("/v2/keys.migrateKeys", { migrationId: "sha256_hex", apiId, keys: Array.from({ length: 1001 }, () => ({ hash: hex(foreignKey()) })) }, ws.rootKey);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.errors[0].location).toBe("body.keys");
    const creditsTooBig = await h().post("/v2/keys.migrateKeys", { migrationId: "sha256_hex", apiId, keys: [{ hash: hex(good), credits: { remaining: 2 ** 31 } }] }, ws.rootKey);
    expect(creditsTooBig.body.error.errors[0].location).toBe("body.keys.0.credits.remaining");
  });

  test("v1 migrations.createKeys: Unkey's v1 shape, prefix-scoped lookup, all-or-nothing with 409 on a duplicate", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const a = foreignKey("legacy_");
    const b = `legacy_${foreignKey()}_part`; // an `_` in the body too
    const item = (key: string, extra: Record<string, unknown> = {}) => ({ apiId, hash: { value: b64(key), variant: "sha256_base64" }, prefix: "legacy", ...extra });
    const res = await h().post(
      "/v1/migrations.createKeys",
      [
        item(a, { start: a.slice(0, 11), name: "a", ownerId: "user_a", meta: { tier: 1 }, remaining: 10, refill: { interval: "daily", amount: 10 }, ratelimit: { limit: 3, duration: 60_000 }, environment: "live" }),
        item(b, { enabled: false, permissions: ["x.read"] }),
      ],
      ws.rootKey,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ keyIds: [expect.stringMatching(/^key_/), expect.stringMatching(/^key_/)] });
    const [idA, idB] = res.body.keyIds;
    expect(await verify(a, ws.rootKey)).toMatchObject({ valid: true, keyId: idA, name: "a", ownerId: "user_a", meta: { tier: 1 }, remaining: 9, environment: "live", ratelimit: { limit: 3, remaining: 2 } });
    expect(await verify(b, ws.rootKey)).toMatchObject({ valid: false, code: "DISABLED", keyId: idB, permissions: ["x.read"] });
    const view = (await h().get("/v1/keys.getKey", { keyId: idA }, ws.rootKey)).body;
    expect(view).toMatchObject({ start: a.slice(0, 11), refill: { interval: "daily", amount: 10 }, ratelimit: { limit: 3, duration: 60_000 } });

    // Only `legacy_…` keys may be imports here: another prefix is not looked up in this workspace, even with its row present.
    const stray = foreignKey("other_");
    await rowHashedAs(h(), ws, apiId, stray);
    expect(await verify(stray, ws.rootKey)).toMatchObject({ valid: false, code: "NOT_FOUND" });

    // A duplicate refuses the request and writes nothing of it.
    const c = foreignKey("legacy_");
    const dup = await h().post("/v1/migrations.createKeys", [item(c), item(a)], ws.rootKey);
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/^keys\.1:/) });
    expect(await verify(c, ws.rootKey)).toMatchObject({ code: "NOT_FOUND" });
    const twice = await h().post("/v1/migrations.createKeys", [item(c), item(c)], ws.rootKey);
    expect(twice.status).toBe(409);

    const badHash = await h().post("/v1/migrations.createKeys", [item(c, { hash: { value: hex(c), variant: "sha256_base64" } })], ws.rootKey);
    expect(badHash.status).toBe(400);
    expect(badHash.body.error).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^0\.hash\.value:/) });
    const other = await h().workspace();
    const foreign = await h().post("/v1/migrations.createKeys", [item(c, { apiId: await h().createApi(other) })], ws.rootKey);
    expect(foreign.status).toBe(404);
    expect((await h().post("/v1/migrations.createKeys", Array.from({ length: 101 }, () => item(foreignKey())), ws.rootKey)).status).toBe(400);
  });

  test("the request examples of the document pass validation (their ids do not exist: 404)", async () => {
    const { ws } = v2();
    for (const [path, op] of [
      ["/v2/keys.migrateKeys", "v2.keys.migrateKeys"],
      ["/v2/keys.rerollKey", "v2.keys.rerollKey"],
      ["/v1/migrations.createKeys", "migrations.createKeys"],
    ] as const) {
      const res = await h().post(path, operationExamples[op]!.request, ws.rootKey);
      expect(res.status, `${op}: ${JSON.stringify(res.body)}`).toBe(404);
    }
  });
});

onTwoInstances(
  "imports across two instances",
  (a, b) => {
    test("instance b learns the workspace's imports from the database", async () => {
      const ws = await a().workspace();
      const apiId = await a().createApi(ws);
      const key = foreignKey("peer_");
      // Before: b refuses it without a lookup (and caches nothing).
      expect((await b().post("/v1/keys.verifyKey", { key }, ws.rootKey)).body.code).toBe("NOT_FOUND");
      const res = await a().post("/v1/migrations.createKeys", [{ apiId, prefix: "peer", hash: { value: b64(key), variant: "sha256_base64" } }], ws.rootKey);
      expect(res.status).toBe(200);
      const deadline = Date.now() + 5000;
      let code = "";
      while (Date.now() < deadline && (code = (await b().post("/v1/keys.verifyKey", { key }, ws.rootKey)).body.code) !== "VALID") {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(code).toBe("VALID");
    });

    // Unsorted, this deadlocked (a 500) in 5 of 5 rounds of 1000 keys: each import waited on a hash the other had inserted.
    test("two instances importing the same hashes in opposite orders: every hash lands once, no deadlock", async () => {
      const ws = await a().workspace();
      const apiId = await a().createApi(ws);
      for (let round = 0; round < 3; round++) {
        const hashes = Array.from({ length: 1000 }, () => hex(foreignKey()));
        const [x, y] = await Promise.all([
          a().post("/v2/keys.migrateKeys", { migrationId: "sha256_hex", apiId, keys: hashes.map((hash) => ({ hash })) }, ws.rootKey),
          b().post("/v2/keys.migrateKeys", { migrationId: "sha256_hex", apiId, keys: [...hashes].reverse().map((hash) => ({ hash })) }, ws.rootKey),
        ]);
        expect([x.status, y.status]).toEqual([200, 200]);
        expect(x.body.data.migrated.length + y.body.data.migrated.length).toBe(1000);
        expect(new Set([...x.body.data.migrated, ...y.body.data.migrated].map((m: { hash: string }) => m.hash)).size).toBe(1000);
      }
    }, 60_000);
  },
  { cache: true },
);
