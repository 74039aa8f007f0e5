import { describe, expect, test } from "vitest";
import { NamespaceCache } from "./namespace-cache.ts";
import type { Namespace, Override } from "./namespaces.ts";

const override = (identifier: string): Override => ({ id: `rlor_${identifier}`, identifier, limit: 1, duration: 1000, async: null });
function namespace(id: string, overrides = 0): Namespace {
  const exact = new Map(Array.from({ length: overrides }, (_, i) => [`o${i}`, override(`o${i}`)] as const));
  return { id, workspaceId: "ws_a", name: id, exact, wildcards: [] };
}

describe("the namespace cache", () => {
  test("a found namespace is served from memory until its workspace is forgotten", async () => {
    const cache = new NamespaceCache({ maxWeight: 100, ttlMs: 60_000 });
    let loads = 0;
    const load = async () => (loads++, namespace("rlns_1"));
    await cache.find("ws_a", "emails", load);
    await cache.find("ws_a", "emails", load);
    expect(loads).toBe(1);
    cache.forgetWorkspace("ws_b");
    await cache.find("ws_a", "emails", load);
    expect(loads).toBe(1);
    cache.forgetWorkspace("ws_a");
    await cache.find("ws_a", "emails", load);
    expect(loads).toBe(2);
  });

  test("a missing namespace is not cached (the limit call creates it)", async () => {
    const cache = new NamespaceCache({ maxWeight: 100, ttlMs: 60_000 });
    expect(await cache.find("ws_a", "new", async () => null)).toBeNull();
    expect(cache.size).toBe(0);
  });

  test("a load that began before a change notice does not store what it read", async () => {
    const cache = new NamespaceCache({ maxWeight: 100, ttlMs: 60_000 });
    let release!: () => void;
    const slow = cache.find("ws_a", "emails", () => new Promise<Namespace>((resolve) => (release = () => resolve(namespace("rlns_old")))));
    cache.forgetWorkspace("ws_a"); // an override changed while the read was under way
    release();
    expect((await slow)?.id).toBe("rlns_old"); // this call still gets its answer…
    expect(cache.peek("ws_a", "emails")).toBeUndefined(); // …but the next one reads again
  });

  test("entries expire after ttlMs; the weight bound (1 + overrides each) evicts the least recently used", async () => {
    const cache = new NamespaceCache({ maxWeight: 10, ttlMs: 1000 });
    await cache.find("ws_a", "a", async () => namespace("rlns_a", 4)); // weight 5
    await cache.find("ws_a", "b", async () => namespace("rlns_b", 3)); // weight 4
    expect(cache.peek("ws_a", "a")).toBeDefined(); // a is now the most recently used
    await cache.find("ws_a", "c", async () => namespace("rlns_c", 0)); // weight 1: 10 in all, fits
    await cache.find("ws_a", "d", async () => namespace("rlns_d", 1)); // weight 2: b goes
    expect(cache.peek("ws_a", "b")).toBeUndefined();
    expect(["a", "c", "d"].map((k) => cache.peek("ws_a", k)?.id)).toEqual(["rlns_a", "rlns_c", "rlns_d"]);
    await cache.find("ws_a", "huge", async () => namespace("rlns_huge", 20)); // larger than the cache: not kept
    expect(cache.peek("ws_a", "huge")).toBeUndefined();
    expect(cache.peek("ws_a", "a", Date.now() + 1000)).toBeUndefined();
  });
});
