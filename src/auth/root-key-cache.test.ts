import { describe, expect, test } from "vitest";
import { type CachedRootKey, RootKeyCache, subscribeToRootKeyChanges } from "./root-key-cache.ts";

const record = (id: string, permissions: string[] = ["*"]): CachedRootKey => ({ id, workspaceId: "ws_1", userId: "usr_1", permissions, expires: null });
const options = { max: 100, maxBytes: 1024 * 1024, ttlMs: 60_000 };

describe("RootKeyCache", () => {
  test("a load that raced an invalidation is answered but not kept", async () => {
    const cache = new RootKeyCache(options);
    let release!: () => void;
    const loading = cache.find("h1", () => new Promise((r) => (release = () => r(record("rk_1")))));
    cache.forgetHash("h1"); // e.g. the key was deleted while its row was on the way
    release();
    expect((await loading)?.id).toBe("rk_1");
    expect(cache.size).toBe(0);
  });

  test("forgetKey drops the entry by id; a later load by another hash is unaffected", async () => {
    const cache = new RootKeyCache(options);
    await cache.find("h1", async () => record("rk_1"));
    await cache.find("h2", async () => record("rk_2"));
    cache.forgetKey("rk_1");
    expect(cache.size).toBe(1);
    let loads = 0;
    await cache.find("h2", async () => (loads++, record("rk_2")));
    expect(loads).toBe(0);
  });

  test("nothing is kept for an unknown root key", async () => {
    const cache = new RootKeyCache(options);
    expect(await cache.find("h1", async () => null)).toBeNull();
    expect(cache.size).toBe(0);
  });

  test("bounded by bytes as well as entries: root keys of 1 000 long permissions don't pile up", async () => {
    const cache = new RootKeyCache({ max: 10_000, maxBytes: 2 * 1024 * 1024, ttlMs: 60_000 });
    const permissions = Array.from({ length: 1000 }, (_, i) => `api.${"a".repeat(100)}${i}.read_key`);
    for (let i = 0; i < 100; i++) await cache.find(`h${i}`, async () => record(`rk_${i}`, permissions));
    // Each is about 250 KB by the estimate: 2 MiB holds 8 of them, not 100.
    expect(cache.size).toBeGreaterThan(0);
    expect(cache.size).toBeLessThanOrEqual(8);
  });

  test("a cached record can't be changed by one request for the others", async () => {
    const cache = new RootKeyCache(options);
    const found = await cache.find("h1", async () => record("rk_1", ["api.*.read_key"]));
    expect(() => (found!.permissions as string[]).push("*")).toThrow();
    expect((await cache.find("h1", async () => null))!.permissions).toEqual(["api.*.read_key"]);
  });

  test("the subscription empties the cache on every (re)connection and drops what a notice names", async () => {
    const cache = new RootKeyCache(options);
    let notify!: (payload: string) => void;
    let connect!: () => void;
    await subscribeToRootKeyChanges({ listen: async (_channel, n, c) => ((notify = n), (connect = c), async () => {}) }, cache);
    await cache.find("h1", async () => record("rk_1"));
    await cache.find("h2", async () => record("rk_2"));
    notify("h1");
    expect(cache.size).toBe(1);
    connect();
    expect(cache.size).toBe(0);
    await cache.find("h2", async () => record("rk_2"));
    notify("*");
    expect(cache.size).toBe(0);
  });
});
