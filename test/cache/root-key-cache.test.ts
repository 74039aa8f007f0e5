import { eq, sql } from "drizzle-orm";
import { expect, test } from "vitest";
import { rootKeys, workspaces } from "../../src/db/schema.ts";
import { type Harness, type Workspace, forEachDatabase, onTwoInstances } from "../harness.ts";
import { expectWithin } from "./expect-within.ts";

/** A root-key call that needs `api.*.read_api`: its status tells refused (401/403) from allowed (200). */
async function probe(h: Harness, token: string, apiId: string): Promise<number> {
  return (await h.get("/v1/apis.getApi", { apiId }, token)).status;
}

/** A root key holding `api.*.read_api`, used on `reader` until it is served from reader's cache. */
async function cachedRootKey(writer: Harness, reader: Harness, expires?: number) {
  const ws = await writer.workspace();
  const apiId = await writer.createApi(ws);
  const { key, keyId } = await writer.rootKey(ws, ["api.*.read_api"], expires);
  const cache = reader.deps.rootKeyCache!;
  expect(await probe(reader, key, apiId)).toBe(200);
  const hits = cache.hits;
  expect(await probe(reader, key, apiId)).toBe(200);
  expect(cache.hits).toBe(hits + 1);
  return { ws, apiId, key, keyId };
}

/** Each change a cached root key must not survive, with the status expected after it. */
const changes: { name: string; apply: (h: Harness, ws: Workspace, keyId: string) => Promise<unknown>; status: number }[] = [
  {
    name: "deleteRootKey",
    apply: async (h, ws, keyId) => expect((await h.post("/v1/rootKeys.deleteRootKey", { keyId }, ws.rootKey)).status).toBe(200),
    status: 401,
  },
  // No route changes a root key's permissions; the trigger covers any change made in the database.
  { name: "permissions changed in the database", apply: (h, _ws, keyId) => h.db.update(rootKeys).set({ permissions: ["api.*.read_key"] }).where(eq(rootKeys.id, keyId)), status: 403 },
  { name: "expiry moved into the past in the database", apply: (h, _ws, keyId) => h.db.update(rootKeys).set({ expires: Date.now() - 1 }).where(eq(rootKeys.id, keyId)), status: 401 },
  { name: "workspace deleted", apply: (h, ws) => h.db.update(workspaces).set({ deletedAt: Date.now() }).where(eq(workspaces.id, ws.workspaceId)), status: 401 },
];

const untilPast = (time: number) => new Promise((r) => setTimeout(r, Math.max(0, time - Date.now() + 20)));

forEachDatabase("root-key cache, one instance", (h) => {
  test("a cached root key authenticates without a database read", async () => {
    const { key, apiId } = await cachedRootKey(h(), h());
    const cache = h().deps.rootKeyCache!;
    const { hits, misses } = cache;
    // Its lookup is gone from the database, so only the cache can answer it.
    await h().db.execute(sql`alter table root_keys rename to root_keys_away`);
    try {
      for (let i = 0; i < 5; i++) expect(await probe(h(), key, apiId)).toBe(200);
    } finally {
      await h().db.execute(sql`alter table root_keys_away rename to root_keys`);
    }
    expect(cache.hits - hits).toBe(5);
    expect(cache.misses).toBe(misses);
  });

  test("deleteRootKey refuses the key at once, on the next call", async () => {
    const { ws, key, keyId, apiId } = await cachedRootKey(h(), h());
    expect((await h().post("/v1/rootKeys.deleteRootKey", { keyId }, ws.rootKey)).status).toBe(200);
    expect(await probe(h(), key, apiId)).toBe(401);
  });

  test("an expired root key is refused at once, though still cached", async () => {
    const expires = Date.now() + 1500; // time to cache it even on a loaded machine
    const { key, apiId } = await cachedRootKey(h(), h(), expires);
    const cache = h().deps.rootKeyCache!;
    await untilPast(expires);
    const hits = cache.hits;
    expect(await probe(h(), key, apiId)).toBe(401);
    expect(cache.hits).toBe(hits + 1); // answered from the cache, refused by the clock
  });

  test.each(changes)("$name is seen within 1 s", async ({ apply, status }) => {
    const { ws, key, keyId, apiId } = await cachedRootKey(h(), h());
    await apply(h(), ws, keyId);
    await expectWithin(1000, async () => (await probe(h(), key, apiId)) === status);
  });

  test("an unknown root key is not cached", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const cache = h().deps.rootKeyCache!;
    const size = cache.size;
    expect(await probe(h(), "kh_root_3ZbEunknownunknownunknown", apiId)).toBe(401);
    expect(cache.size).toBe(size);
  });
});

onTwoInstances(
  "root-key cache, two instances on one PostgreSQL",
  (a, b) => {

    test.each(changes)("$name on one instance is seen by the other within 1 s", async ({ apply, status }) => {
      const { ws, key, keyId, apiId } = await cachedRootKey(a(), b());
      await apply(a(), ws, keyId);
      await expectWithin(1000, async () => (await probe(b(), key, apiId)) === status);
    });

    test("an expired root key cached on the other instance is refused there at once", async () => {
      const expires = Date.now() + 1500;
      const { key, apiId } = await cachedRootKey(a(), b(), expires);
      await untilPast(expires);
      expect(await probe(b(), key, apiId)).toBe(401);
    });
  },
);
