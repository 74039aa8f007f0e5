import { expect, test } from "vitest";
import { sha256Hex } from "../../src/crypto/hash.ts";
import { keys } from "../../src/db/schema.ts";
import { eq } from "drizzle-orm";
import { generateKey, keyStart } from "../../src/keys/key-format.ts";
import { newId } from "../../src/ids.ts";
import { roomyWindow } from "../adversarial/limits-helpers.ts";
import { type Harness, type Workspace, forEachDatabase, onTwoInstances } from "../harness.ts";
import { expectWithin } from "./expect-within.ts";

/** Each change a cached key must not survive, with the verify code expected after it. */
const changes: { name: string; apply: (h: Harness, ws: Workspace, keyId: string, apiId: string) => Promise<unknown>; code: string }[] = [
  { name: "delete", apply: (h, ws, keyId) => h.post("/v1/keys.deleteKey", { keyId }, ws.rootKey), code: "NOT_FOUND" },
  { name: "permanent delete", apply: (h, ws, keyId) => h.post("/v1/keys.deleteKey", { keyId, permanent: true }, ws.rootKey), code: "NOT_FOUND" },
  { name: "disable", apply: (h, ws, keyId) => h.post("/v1/keys.updateKey", { keyId, enabled: false }, ws.rootKey), code: "DISABLED" },
  {
    name: "expiry change",
    apply: async (h, ws, keyId) => {
      // An expiry must lie in the future when the update lands, so leave a wide margin for a
      // busy machine, then wait until the clock has passed it (not a fixed sleep).
      const expires = Date.now() + 1000;
      expect((await h.post("/v1/keys.updateKey", { keyId, expires }, ws.rootKey)).status).toBe(200);
      while (Date.now() <= expires) await new Promise((r) => setTimeout(r, expires - Date.now() + 5));
    },
    code: "EXPIRED",
  },
  { name: "permission change", apply: (h, ws, keyId) => h.post("/v1/keys.updateKey", { keyId, permissions: [] }, ws.rootKey), code: "INSUFFICIENT_PERMISSIONS" },
  { name: "credits set", apply: (h, ws, keyId) => h.post("/v1/keys.updateRemaining", { keyId, op: "set", value: 0 }, ws.rootKey), code: "USAGE_EXCEEDED" },
  { name: "API deleted", apply: (h, ws, _keyId, apiId) => h.post("/v1/apis.deleteApi", { apiId }, ws.rootKey), code: "NOT_FOUND" },
  { name: "all keys of the API deleted", apply: (h, ws, _keyId, apiId) => h.post("/v1/apis.deleteKeys", { apiId }, ws.rootKey), code: "NOT_FOUND" },
];

const query = { authorization: { permissions: "docs.read" } };

async function cachedKey(writer: Harness, reader: Harness) {
  const ws = await writer.workspace();
  const apiId = await writer.createApi(ws);
  const { key, keyId } = await writer.createKey(ws, apiId, { permissions: ["docs.read"] });
  // The creation's own change notice may still be on its way and empty the entry once;
  // soon a verify must be served from the cache.
  await expectWithin(1000, async () => {
    const hitsBefore = reader.deps.verifyCache!.hits;
    expect((await reader.verify(key, query)).body.code).toBe("VALID");
    return reader.deps.verifyCache!.hits === hitsBefore + 1;
  });
  return { ws, apiId, key, keyId };
}

forEachDatabase(
  "verify cache, one instance",
  (h) => {
    test.each(changes)("$name is seen at once", async ({ apply, code }) => {
      const { ws, apiId, key, keyId } = await cachedKey(h(), h());
      await apply(h(), ws, keyId, apiId);
      expect((await h().verify(key, query)).body.code).toBe(code);
    });

    test("credits are spent in the database even for a cached key", async () => {
      const ws = await h().workspace();
      const apiId = await h().createApi(ws);
      const { key } = await h().createKey(ws, apiId, { remaining: 3 });
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await h().verify(key)).body.code);
      expect(codes).toEqual(["VALID", "VALID", "VALID", "USAGE_EXCEEDED", "USAGE_EXCEEDED"]);
    });

    test("an unknown key is cached as unknown only briefly", async () => {
      const ws = await h().workspace();
      const apiId = await h().createApi(ws);
      const key = generateKey({ prefix: "sk" });
      expect((await h().verify(key)).body.code).toBe("NOT_FOUND");
      await insertKeyRow(h(), ws, apiId, key); // as if created elsewhere
      await expectWithin(1000, async () => (await h().verify(key)).body.code === "VALID");
    });

    test("a verify scoped to another workspace caches nothing that hides the key from its own workspace", async () => {
      const owner = await h().workspace();
      const other = await h().workspace();
      const { key } = await h().createKey(owner, await h().createApi(owner), { permissions: ["docs.read"] });
      const foreign = (await h().rootKey(other, ["api.*.verify_key"])).key;
      for (let i = 0; i < 2; i++) expect((await h().post("/v1/keys.verifyKey", { key, ...query }, foreign)).body.code).toBe("NOT_FOUND");
      expect((await h().verify(key, query)).body.code).toBe("VALID"); // unscoped, right after
      const own = (await h().rootKey(owner, ["api.*.verify_key"])).key;
      expect((await h().post("/v1/keys.verifyKey", { key, ...query }, own)).body.code).toBe("VALID");
      // Now cached: another workspace's root key still sees nothing.
      expect((await h().post("/v1/keys.verifyKey", { key, ...query }, foreign)).body.code).toBe("NOT_FOUND");
    });

    test("a last_used_at flush leaves the cached record in place", () => flushLeavesCache(h(), h()));

    test("a verify scoped to the key's own workspace is served from the cache", async () => {
      const ws = await h().workspace();
      const { key } = await h().createKey(ws, await h().createApi(ws), { permissions: ["docs.read"] });
      const own = (await h().rootKey(ws, ["api.*.verify_key"])).key;
      await expectWithin(1000, async () => {
        const hitsBefore = h().deps.verifyCache!.hits;
        expect((await h().post("/v1/keys.verifyKey", { key, ...query }, own)).body.code).toBe("VALID");
        return h().deps.verifyCache!.hits === hitsBefore + 1;
      });
    });
  },
  { cache: true },
);

/**
 * last_used_at is written in batches by the verifies themselves: the keys update trigger
 * (drizzle/0003) leaves it out, so a flush must not evict the records it was noted from.
 */
async function flushLeavesCache(writer: Harness, reader: Harness) {
  const { key, keyId } = await cachedKey(writer, reader);
  expect((await writer.verify(key, query)).body.code).toBe("VALID"); // noted by the writer
  await writer.deps.lastUsed!.flush();
  const [row] = await writer.db.select({ at: keys.lastUsedAt }).from(keys).where(eq(keys.id, keyId));
  expect(row!.at).not.toBeNull();
  // A change written after the flush is seen by the reader (its notice, not a local
  // eviction: the row is written directly); notices come in commit order, so any notice
  // of the flush would have come before it.
  const marker = await cachedKey(writer, reader);
  await writer.db.update(keys).set({ name: "renamed" }).where(eq(keys.id, marker.keyId));
  await expectWithin(2000, async () => (await reader.verify(marker.key, query)).body.name === "renamed");
  const hits = reader.deps.verifyCache!.hits;
  expect((await reader.verify(key, query)).body.code).toBe("VALID");
  expect(reader.deps.verifyCache!.hits).toBe(hits + 1);
}

async function insertKeyRow(h: Harness, ws: Workspace, apiId: string, key: string) {
  await h.db.insert(keys).values({
    id: newId("key"),
    workspaceId: ws.workspaceId,
    apiId,
    hash: sha256Hex(key),
    start: keyStart(key),
    createdAt: Date.now(),
  });
}

onTwoInstances(
  "verify cache, two instances on one PostgreSQL",
  (a, b) => {

    test.each(changes)("$name made on one instance is seen by the other within 1 s", async ({ apply, code }) => {
      const { ws, apiId, key, keyId } = await cachedKey(a(), b());
      await apply(a(), ws, keyId, apiId);
      const took = await expectWithin(1000, async () => (await b().verify(key, query)).body.code === code);
      expect(took).toBeLessThan(1000);
    });

    test("a last_used_at flush on one instance leaves the other's cached record in place", () => flushLeavesCache(a(), b()));

    test("a key created after the other instance cached it as unknown is valid there within 1 s", async () => {
      const ws = await a().workspace();
      const apiId = await a().createApi(ws);
      const key = generateKey({ prefix: "sk" });
      expect((await b().verify(key)).body.code).toBe("NOT_FOUND");
      await insertKeyRow(a(), ws, apiId, key);
      await expectWithin(1000, async () => (await b().verify(key)).body.code === "VALID");
    });

    test("credits and rate limits stay exact under 200 concurrent verifies split over both instances", async () => {
      const ws = await a().workspace();
      const apiId = await a().createApi(ws);
      const credits = await a().createKey(ws, apiId, { remaining: 37 });
      const limited = await a().createKey(ws, apiId, { ratelimit: { limit: 10, duration: roomyWindow() } }); // no window boundary mid-test
      for (const { key, allowed } of [
        { key: credits.key, allowed: 37 },
        { key: limited.key, allowed: 10 },
      ]) {
        await Promise.all([a().verify(key), b().verify(key)]); // warm both caches
        const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a() : b()).verify(key)));
        const valid = results.filter((r) => r.body.valid).length;
        expect(results.every((r) => r.status === 200)).toBe(true);
        expect(valid).toBe(allowed - 2); // two went to warming the caches
      }
      expect((await a().get("/v1/keys.getKey", { keyId: credits.keyId }, ws.rootKey)).body.remaining).toBe(0);
    });
  },
  { cache: true },
);
