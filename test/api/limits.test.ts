import { eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { keys } from "../../src/db/schema.ts";
import { roomyWindow } from "../adversarial/limits-helpers.ts";
import { forEachDatabase } from "../harness.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DAY = 86_400_000;

/** Waits, if needed, so that at least `need` ms are left in the current fixed window. */
async function freshWindow(duration: number, need: number): Promise<void> {
  const left = duration - (Date.now() % duration);
  if (left < need) await sleep(left + 10);
}


forEachDatabase("verify limits: rate limits, credits, refill", (h) => {
  const setup = (body: Record<string, unknown>) => h().keyFixture(body);

  test("RATE_LIMITED: 3 per 1000 ms admits 3, refuses the 4th, admits again in the next window", async () => {
    // The four requests must share one window. On a busy machine they can straddle a window
    // boundary even after waiting for a fresh window; every answer names its window (reset),
    // so such a round is recognised and run again rather than judged.
    for (let round = 1; ; round++) {
      const { key } = await setup({ ratelimit: { limit: 3, duration: 1000 } });
      await freshWindow(1000, 800);
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push((await h().verify(key)).body);
      const reset = answers[0].ratelimit.reset;
      if (round < 5 && answers.some((a) => a.ratelimit.reset !== reset)) continue;
      expect(reset % 1000).toBe(0);
      expect(answers[0]).toMatchObject({ valid: true, code: "VALID", ratelimit: { limit: 3, remaining: 2, reset } });
      expect(answers[1]).toMatchObject({ valid: true, ratelimit: { limit: 3, remaining: 1, reset } });
      expect(answers[2]).toMatchObject({ valid: true, ratelimit: { limit: 3, remaining: 0, reset } });
      expect(answers[3]).toMatchObject({ valid: false, code: "RATE_LIMITED", ratelimit: { limit: 3, remaining: 0, reset } });
      await sleep(Math.max(0, reset - Date.now()) + 20);
      const next = await h().verify(key);
      expect(next.body).toMatchObject({ valid: true, code: "VALID", ratelimit: { limit: 3, remaining: 2 } });
      expect(next.body.ratelimit.reset).toBeGreaterThanOrEqual(reset + 1000);
      return;
    }
  });

  test("changing the rate limit's window length starts afresh instead of refusing until the old window is over", async () => {
    const { ws, keyId, key } = await setup({ ratelimit: { limit: 5, duration: 1000 } });
    expect((await h().verify(key)).body).toMatchObject({ valid: true, ratelimit: { limit: 5, remaining: 4 } });
    const duration = roomyWindow();
    expect((await h().post("/v1/keys.updateKey", { keyId, ratelimit: { limit: 5, duration } }, ws.rootKey)).status).toBe(200);
    const res = await h().verify(key);
    expect(res.body).toMatchObject({ valid: true, code: "VALID", ratelimit: { limit: 5 } });
    expect(res.body.ratelimit.reset % duration).toBe(0);
  });

  test("changing only the limit keeps the window's count", async () => {
    const { ws, keyId, key } = await setup({ ratelimit: { limit: 10, duration: roomyWindow() } });
    for (let i = 0; i < 4; i++) expect((await h().verify(key)).body.code).toBe("VALID");
    const { duration } = (await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body.ratelimit;
    await h().post("/v1/keys.updateKey", { keyId, ratelimit: { limit: 5, duration } }, ws.rootKey);
    expect((await h().verify(key)).body).toMatchObject({ valid: true, ratelimit: { limit: 5, remaining: 0 } });
    expect((await h().verify(key)).body.code).toBe("RATE_LIMITED");
  });

  test("ratelimit.cost spends several slots; a cost above the limit is refused and spends none", async () => {
    const { key } = await setup({ ratelimit: { limit: 5, duration: roomyWindow() } });
    expect((await h().verify(key, { ratelimit: { cost: 3 } })).body).toMatchObject({ valid: true, ratelimit: { remaining: 2 } });
    expect((await h().verify(key, { ratelimit: { cost: 6 } })).body).toMatchObject({ code: "RATE_LIMITED", ratelimit: { limit: 5, remaining: 2 } });
    expect((await h().verify(key, { ratelimit: { cost: 3 } })).body).toMatchObject({ code: "RATE_LIMITED", ratelimit: { remaining: 2 } });
    expect((await h().verify(key, { ratelimit: { cost: 2 } })).body).toMatchObject({ valid: true, ratelimit: { remaining: 0 } });
  });

  test("daily refill is applied lazily once the last refill is before today (UTC), to the amount, once", async () => {
    const { keyId, key, getKey } = await setup({ remaining: 1, refill: { interval: "daily", amount: 5 } });
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 0 });
    expect((await h().verify(key)).body).toMatchObject({ code: "USAGE_EXCEEDED" });

    const startOfToday = Math.floor(Date.now() / DAY) * DAY;
    await h().db.update(keys).set({ lastRefillAt: startOfToday - 1 }).where(eq(keys.id, keyId));
    expect((await getKey()).remaining).toBe(5); // shown as it stands, before any verify applies it
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 4 });
    expect((await getKey()).refill.lastRefillAt).toBeGreaterThanOrEqual(startOfToday);
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 3 });
  });

  test("a refill sets the balance to the amount, it does not add to what is left", async () => {
    const { keyId, key } = await setup({ remaining: 4, refill: { interval: "daily", amount: 10 } });
    await h().db.update(keys).set({ lastRefillAt: Date.now() - 2 * DAY }).where(eq(keys.id, keyId));
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 9 });
  });

  test("monthly refill on refillDay: not before, applied once a period start has passed since the last refill", async () => {
    const { keyId, key, getKey } = await setup({ remaining: 1, refill: { interval: "monthly", amount: 20, refillDay: 31 } });
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 0 });
    expect((await h().verify(key)).body).toMatchObject({ code: "USAGE_EXCEEDED" });
    expect((await getKey()).remaining).toBe(0);

    await h().db.update(keys).set({ lastRefillAt: Date.now() - 40 * DAY }).where(eq(keys.id, keyId));
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 19 });
    expect((await h().verify(key, { remaining: { cost: 19 } })).body).toMatchObject({ valid: true, remaining: 0 });
    expect((await h().verify(key)).body).toMatchObject({ code: "USAGE_EXCEEDED" });
  });

  test("monthly refill is due from refillDay 00:00 UTC: a refill just before it is topped up, one just after is not", async () => {
    const { keyId, key } = await setup({ remaining: 0, refill: { interval: "monthly", amount: 7, refillDay: 1 } });
    const now = new Date();
    const periodStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    await h().db.update(keys).set({ lastRefillAt: periodStart + 1 }).where(eq(keys.id, keyId));
    expect((await h().verify(key)).body).toMatchObject({ valid: false, code: "USAGE_EXCEEDED" });
    await h().db.update(keys).set({ lastRefillAt: periodStart - 1 }).where(eq(keys.id, keyId));
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 6 });
  });

  test("updateRemaining works on the balance as shown, a due refill included, and the refill is not applied again", async () => {
    for (const [op, value, after] of [
      ["increment", 5, 15],
      ["decrement", 4, 6],
      ["set", 3, 3],
    ] as const) {
      const { ws, keyId, key, getKey } = await setup({ remaining: 0, refill: { interval: "daily", amount: 10 } });
      await h().db.update(keys).set({ lastRefillAt: Date.now() - 2 * DAY }).where(eq(keys.id, keyId));
      expect((await getKey()).remaining).toBe(10);
      const res = await h().post("/v1/keys.updateRemaining", { keyId, op, value }, ws.rootKey);
      expect(res.body, op).toEqual({ remaining: after });
      expect((await getKey()).remaining, op).toBe(after);
      expect((await h().verify(key)).body, op).toMatchObject({ valid: true, remaining: after - 1 });
    }
  });

  test("updateKey setting remaining while a refill is due: the set balance holds, the refill is not applied on top", async () => {
    const { ws, keyId, key, getKey } = await setup({ remaining: 0, refill: { interval: "daily", amount: 10 } });
    await h().db.update(keys).set({ lastRefillAt: Date.now() - 2 * DAY }).where(eq(keys.id, keyId));
    expect((await h().post("/v1/keys.updateKey", { keyId, remaining: 3 }, ws.rootKey)).status).toBe(200);
    expect((await getKey()).remaining).toBe(3);
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 2 });
  });

  test("a refill that is due but costs more than the amount is refused and not applied", async () => {
    const { keyId, key, getKey } = await setup({ remaining: 0, refill: { interval: "daily", amount: 3 } });
    const old = Date.now() - 2 * DAY;
    await h().db.update(keys).set({ lastRefillAt: old }).where(eq(keys.id, keyId));
    expect((await h().verify(key, { remaining: { cost: 4 } })).body).toMatchObject({ code: "USAGE_EXCEEDED" });
    expect((await getKey()).refill.lastRefillAt).toBe(old);
    expect((await h().verify(key, { remaining: { cost: 3 } })).body).toMatchObject({ valid: true, remaining: 0 });
  });

});
