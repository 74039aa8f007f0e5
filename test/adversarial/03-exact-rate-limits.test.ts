import { afterEach, expect, test, vi } from "vitest";
import { forEachDatabase } from "../harness.ts";
import { countCodes, keyWith, onlyPostgres } from "./limits-helpers.ts";

const WINDOW = 60_000;

/**
 * Point 3: a limit of 10 per window admits at most 10 of 100 concurrent requests (not
 * "about": Unkey's test allowed 120%), and the first request of the next window is VALID.
 * The clock (Date only; timers and I/O stay real) is pinned inside one window for the
 * burst, so a slow machine can't straddle a window boundary and blur the count.
 */
forEachDatabase("adversarial 03: exact rate limits", (h) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("limit 10 per window, 100 concurrent: exactly 10 VALID; the window's last ms still refuses; the next window's first request is VALID", async ({ skip }) => {
    skip(onlyPostgres(h()), "races are real on PostgreSQL, which is configured");
    const { key } = await keyWith(h(), { ratelimit: { limit: 10, duration: WINDOW } });
    const windowStart = (Math.floor(Date.now() / WINDOW) + 2) * WINDOW;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(windowStart + 1);

    const results = await Promise.all(Array.from({ length: 100 }, () => h().verify(key)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(countCodes(results)).toEqual({ VALID: 10, RATE_LIMITED: 90 });
    const left = results.filter((r) => r.body.valid).map((r) => r.body.ratelimit.remaining).sort((a, b) => a - b);
    expect(left).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(results.map((r) => r.body.ratelimit.reset))).toEqual(new Set([windowStart + WINDOW]));

    vi.setSystemTime(windowStart + WINDOW - 1);
    expect((await h().verify(key)).body).toMatchObject({ valid: false, code: "RATE_LIMITED", ratelimit: { remaining: 0, reset: windowStart + WINDOW } });
    vi.setSystemTime(windowStart + WINDOW);
    expect((await h().verify(key)).body).toMatchObject({ valid: true, code: "VALID", ratelimit: { limit: 10, remaining: 9, reset: windowStart + 2 * WINDOW } });
  });

  test("the next window again admits exactly 10 of 100 concurrent", async ({ skip }) => {
    skip(onlyPostgres(h()), "races are real on PostgreSQL, which is configured");
    const { key } = await keyWith(h(), { ratelimit: { limit: 10, duration: WINDOW } });
    const windowStart = (Math.floor(Date.now() / WINDOW) + 2) * WINDOW;
    vi.useFakeTimers({ toFake: ["Date"] });
    for (const start of [windowStart, windowStart + WINDOW]) {
      vi.setSystemTime(start + 5);
      const results = await Promise.all(Array.from({ length: 100 }, () => h().verify(key)));
      expect(countCodes(results)).toEqual({ VALID: 10, RATE_LIMITED: 90 });
    }
  });
});
