import { describe, expect, test } from "vitest";
import type { CompiledPolicy } from "./engine.ts";
import { type CachedPolicies, PolicyCache } from "./policy-cache.ts";

const none: CachedPolicies = { policies: [], sourceChars: 0 };
const withSource = (sourceChars: number): CachedPolicies => ({ policies: [{ id: `pol_${sourceChars}` } as CompiledPolicy], sourceChars });

describe("the policy cache", () => {
  test("a workspace's policies, even none, are served from memory until the workspace is forgotten", async () => {
    const cache = new PolicyCache({ maxWorkspaces: 10, maxSourceChars: 1000, ttlMs: 60_000 });
    let loads = 0;
    const load = async () => (loads++, none);
    await cache.find("ws_a", load);
    expect(cache.peek("ws_a")).toEqual([]);
    await cache.find("ws_a", load);
    cache.forgetWorkspace("ws_b");
    await cache.find("ws_a", load);
    expect(loads).toBe(1);
    cache.forgetWorkspace("ws_a");
    expect(cache.peek("ws_a")).toBeUndefined();
    await cache.find("ws_a", load);
    expect(loads).toBe(2);
  });

  test("a load that began before a change notice does not store what it read", async () => {
    const cache = new PolicyCache({ maxWorkspaces: 10, maxSourceChars: 1000, ttlMs: 60_000 });
    let release!: () => void;
    const slow = cache.find("ws_a", () => new Promise<CachedPolicies>((resolve) => (release = () => resolve(withSource(5)))));
    cache.forgetWorkspace("ws_a"); // a policy changed while the read was under way
    release();
    expect((await slow).map((p) => p.id)).toEqual(["pol_5"]); // this call still gets its answer…
    expect(cache.peek("ws_a")).toBeUndefined(); // …but the next one reads again
  });

  test("bounded by the source characters held: the least recently used goes, a set larger than the cache is not kept", async () => {
    const cache = new PolicyCache({ maxWorkspaces: 10, maxSourceChars: 100, ttlMs: 60_000 });
    await cache.find("ws_a", async () => withSource(60));
    await cache.find("ws_b", async () => withSource(30));
    expect(cache.peek("ws_a")).toBeDefined(); // a is now the most recently used
    await cache.find("ws_c", async () => withSource(30)); // 120 > 100: b goes
    expect([cache.peek("ws_a"), cache.peek("ws_b"), cache.peek("ws_c")].map((p) => p?.[0]?.id)).toEqual(["pol_60", undefined, "pol_30"]);
    await cache.find("ws_huge", async () => withSource(101));
    expect(cache.peek("ws_huge")).toBeUndefined();
  });
});
