import { expect, test } from "vitest";
import { forEachDatabase } from "../harness.ts";
import { countCodes, keyWith, onlyPostgres, roomyWindow } from "./limits-helpers.ts";

/**
 * Point 2: a request refused by one limit consumes nothing from any other, in both
 * orders (Unkey once counted rejected requests against limits). Checked on the answers
 * and on the whole database: after a refusal every table is exactly as before it.
 */
forEachDatabase("adversarial 02: rejections leave no trace", (h) => {
  test("a RATE_LIMITED request spends no credits and changes no row", async () => {
    const { key, remaining } = await keyWith(h(), { remaining: 10, ratelimit: { limit: 1, duration: roomyWindow() } });
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 9 });
    const before = await h().snapshot();
    for (let i = 0; i < 3; i++) {
      const res = await h().verify(key);
      expect(res.body).toMatchObject({ valid: false, code: "RATE_LIMITED", ratelimit: { limit: 1, remaining: 0 } });
      expect(res.body).not.toHaveProperty("remaining"); // credits are not looked at once the rate limit refuses
    }
    expect(await h().snapshot()).toEqual(before);
    expect(await remaining()).toBe(9);
  });

  test("a USAGE_EXCEEDED request takes no rate-limit slot, says so, and changes no row", async () => {
    const { ws, keyId, key } = await keyWith(h(), { remaining: 1, ratelimit: { limit: 3, duration: roomyWindow() } });
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 0, ratelimit: { remaining: 2 } });
    const before = await h().snapshot();
    for (let i = 0; i < 3; i++) {
      const res = await h().verify(key);
      // The slot it took was given back with the rollback: still 2 left.
      expect(res.body).toMatchObject({ valid: false, code: "USAGE_EXCEEDED", remaining: 0, ratelimit: { limit: 3, remaining: 2 } });
    }
    expect(await h().snapshot()).toEqual(before);
    expect((await h().post("/v1/keys.updateRemaining", { keyId, op: "set", value: 5 }, ws.rootKey)).body).toEqual({ remaining: 5 });
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 4, ratelimit: { remaining: 1 } });
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 3, ratelimit: { remaining: 0 } });
    expect((await h().verify(key)).body).toMatchObject({ valid: false, code: "RATE_LIMITED" });
  });

  test("a refusal by a named rate limit gives back the key's own slot and spends no credits", async () => {
    const { key, remaining } = await keyWith(h(), { remaining: 50, ratelimit: { limit: 10, duration: roomyWindow() } });
    const named = [{ name: "tokens", limit: 2, duration: roomyWindow() }];
    expect((await h().verify(key, { ratelimits: named })).body).toMatchObject({ valid: true, remaining: 49, ratelimit: { limit: 10, remaining: 9 } });
    expect((await h().verify(key, { ratelimits: named })).body).toMatchObject({ valid: true, remaining: 48, ratelimit: { limit: 10, remaining: 8 } });
    const before = await h().snapshot();
    expect((await h().verify(key, { ratelimits: named })).body).toMatchObject({ valid: false, code: "RATE_LIMITED", ratelimit: { limit: 2, remaining: 0 } });
    expect(await h().snapshot()).toEqual(before);
    // The refused request's default slot was rolled back, and no credit was spent.
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 47, ratelimit: { limit: 10, remaining: 7 } });
    expect(await remaining()).toBe(47);
  });

  test("concurrently: credits and rate limit together; refused requests give their slots back", async ({ skip }) => {
    skip(onlyPostgres(h()), "races are real on PostgreSQL, which is configured");
    const { ws, keyId, key } = await keyWith(h(), { remaining: 5, ratelimit: { limit: 20, duration: roomyWindow() } });
    const results = await Promise.all(Array.from({ length: 50 }, () => h().verify(key)));
    const counts = countCodes(results);
    expect(counts.VALID).toBe(5);
    expect(counts.VALID! + (counts.USAGE_EXCEEDED ?? 0) + (counts.RATE_LIMITED ?? 0)).toBe(50);
    await h().post("/v1/keys.updateRemaining", { keyId, op: "set", value: 100 }, ws.rootKey);
    // Only the 5 admitted requests hold a slot: 20 - 5 - this one.
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 99, ratelimit: { remaining: 14 } });
  });

  test("concurrently, the other order: a spent-out rate limit takes no credits from 50 racing requests", async ({ skip }) => {
    skip(onlyPostgres(h()), "races are real on PostgreSQL, which is configured");
    const { key, remaining } = await keyWith(h(), { remaining: 100, ratelimit: { limit: 7, duration: roomyWindow() } });
    const results = await Promise.all(Array.from({ length: 50 }, () => h().verify(key)));
    expect(countCodes(results)).toEqual({ VALID: 7, RATE_LIMITED: 43 });
    expect(await remaining()).toBe(93);
  });
});
