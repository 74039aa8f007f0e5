import { describe, expect, test } from "vitest";
import type { CompiledPolicy } from "./engine.ts";
import { type CachedPolicies, MAX_FACTS_PER_WORKSPACE, PolicyCache } from "./policy-cache.ts";

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

describe("the facts kept beside the policies", () => {
  const api = (name: string) => ({ id: "api_1", name, recoveryEnabled: false });

  test("a found fact is served from memory until its workspace is forgotten; a miss is read every time", async () => {
    const cache = new PolicyCache({ maxWorkspaces: 10, maxSourceChars: 1000, ttlMs: 60_000 });
    let reads = 0;
    const read = (found: object | undefined) => async () => (reads++, found);
    expect(await cache.findFact("ws_a", "api:api_1", read(api("one")))).toEqual(api("one"));
    expect(await cache.findFact("ws_a", "api:api_1", read(api("two")))).toEqual(api("one"));
    expect(reads).toBe(1);
    cache.forgetWorkspace("ws_b");
    expect(await cache.findFact("ws_a", "api:api_1", read(api("two")))).toEqual(api("one"));
    cache.forgetWorkspace("ws_a");
    expect(await cache.findFact("ws_a", "api:api_1", read(api("two")))).toEqual(api("two"));
    expect(reads).toBe(2);
    await cache.findFact("ws_a", "user:usr_gone", read(undefined));
    expect(await cache.findFact("ws_a", "user:usr_gone", read({ id: "usr_gone" }))).toEqual({ id: "usr_gone" });
    expect(reads).toBe(4);
  });

  test("a read that began before a forget is not kept", async () => {
    const cache = new PolicyCache({ maxWorkspaces: 10, maxSourceChars: 1000, ttlMs: 60_000 });
    let release!: () => void;
    const slow = cache.findFact("ws_a", "api:api_1", () => new Promise<object>((resolve) => (release = () => resolve(api("old")))));
    cache.forgetWorkspace("ws_a"); // the API was renamed while the read was under way
    release();
    expect(await slow).toEqual(api("old"));
    expect(await cache.findFact("ws_a", "api:api_1", async () => api("new"))).toEqual(api("new"));
  });

  test("bounded per workspace: beyond MAX_FACTS_PER_WORKSPACE its facts start afresh", async () => {
    const cache = new PolicyCache({ maxWorkspaces: 10, maxSourceChars: 1000, ttlMs: 60_000 });
    for (let i = 0; i < MAX_FACTS_PER_WORKSPACE; i++) await cache.findFact("ws_a", `api:${i}`, async () => ({ i }));
    let reads = 0;
    await cache.findFact("ws_a", "api:0", async () => (reads++, { i: 0 }));
    expect(reads).toBe(0); // all MAX_FACTS_PER_WORKSPACE kept
    await cache.findFact("ws_a", "api:new", async () => ({ i: -1 }));
    await cache.findFact("ws_a", "api:0", async () => (reads++, { i: 0 }));
    expect(reads).toBe(1); // the one over the bound emptied the workspace's facts
  });
});
