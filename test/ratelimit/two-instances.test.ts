import { afterEach, expect, test, vi } from "vitest";
import { onTwoInstances } from "../harness.ts";

/**
 * Two Keyhold instances on one PostgreSQL, each with its own pool and namespace cache:
 * standalone limits stay exact across them, and an override set or deleted through one is
 * applied by the other at once (its cache hears of it through drizzle/0007's NOTIFY).
 */
const WINDOW = 60_000;

onTwoInstances("standalone rate limits on two instances", (a, b) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("100 concurrent calls on limit 10, split over both instances: exactly 10 succeed", async () => {
    const ws = await a().workspace();
    const body = { namespace: "shared", identifier: "hot", limit: 10, duration: WINDOW };
    // Both instances have the namespace cached before the burst.
    for (const h of [a(), b()]) expect((await h.post("/v2/ratelimit.limit", { ...body, identifier: "warm" }, ws.rootKey)).status).toBe(200);
    const windowStart = (Math.floor(Date.now() / WINDOW) + 2) * WINDOW;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(windowStart + 5);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a() : b()).post(i % 4 < 2 ? "/v2/ratelimit.limit" : "/v1/ratelimits.limit", body, ws.rootKey)),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const passed = results.filter((r) => (r.body.data ?? r.body).success);
    expect(passed).toHaveLength(10);
  });

  test("an override set, changed and deleted on one instance is applied by the other at once", async () => {
    const ws = await a().workspace();
    const limitOnB = async (identifier: string) => (await b().post("/v2/ratelimit.limit", { namespace: "tiers", identifier, limit: 1, duration: WINDOW, cost: 0 }, ws.rootKey)).body.data;
    expect(await limitOnB("premium_1")).toEqual(expect.not.objectContaining({ overrideId: expect.anything() })); // b caches the namespace
    /** Polls b until it answers with `limit` (no fixed sleep: the notice normally takes milliseconds), at most 1 s. */
    const seenByB = async (identifier: string, limit: number) => {
      const started = performance.now();
      for (;;) {
        const data = await limitOnB(identifier);
        if (data.limit === limit) return { ms: performance.now() - started, data };
        if (performance.now() - started > 1000) throw new Error(`b still answers ${JSON.stringify(data)} after 1 s`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    const set = await a().post("/v2/ratelimit.setOverride", { namespace: "tiers", identifier: "premium_*", limit: 50, duration: WINDOW }, ws.rootKey);
    expect(set.status).toBe(200);
    const created = await seenByB("premium_1", 50);
    expect(created.data.overrideId).toBe(set.body.data.overrideId);
    await a().post("/v1/ratelimits.setOverride", { namespaceName: "tiers", identifier: "premium_*", limit: 70, duration: WINDOW }, ws.rootKey);
    const changed = await seenByB("premium_1", 70);
    await a().post("/v2/ratelimit.deleteOverride", { namespace: "tiers", identifier: "premium_*" }, ws.rootKey);
    const deleted = await seenByB("premium_1", 1);
    expect(deleted.data).not.toHaveProperty("overrideId");
    console.log(`override seen by the other instance after ${[created, changed, deleted].map((s) => `${s.ms.toFixed(1)} ms`).join(", ")} (set, changed, deleted)`);
  });
});
