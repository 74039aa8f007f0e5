import { expect, test } from "vitest";
import { forEachDatabase, onTwoInstances } from "../harness.ts";
import { countCodes, keyWith, onlyPostgres } from "./limits-helpers.ts";

/**
 * Point 1: credits are exact under concurrency, never "about right" (Unkey's test allowed
 * 1% drift). Every figure is an equality: VALID count and the balance left.
 */
forEachDatabase("adversarial 01: exact credits", (h) => {
  test("remaining=10, 100 concurrent verifies give exactly 10 VALID and leave 0", async ({ skip }) => {
    skip(onlyPostgres(h()), "races are real on PostgreSQL, which is configured");
    const { key, remaining } = await keyWith(h(), { remaining: 10 });
    const results = await Promise.all(Array.from({ length: 100 }, () => h().verify(key)));
    expect(countCodes(results)).toEqual({ VALID: 10, USAGE_EXCEEDED: 90 });
    const balances = results.filter((r) => r.body.valid).map((r) => r.body.remaining).sort((a, b) => a - b);
    expect(balances).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await remaining()).toBe(0);
  });

  test("remaining=1, 1,000 concurrent verifies give exactly 1 VALID and leave 0", async ({ skip }) => {
    skip(onlyPostgres(h()), "races are real on PostgreSQL, which is configured");
    const { key, remaining } = await keyWith(h(), { remaining: 1 });
    const results = await Promise.all(Array.from({ length: 1000 }, () => h().verify(key)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(countCodes(results)).toEqual({ VALID: 1, USAGE_EXCEEDED: 999 });
    expect(await remaining()).toBe(0);
  }, 60_000);

  test("remaining=100 at cost 7, 50 concurrent verifies give exactly 14 VALID and leave 2", async ({ skip }) => {
    skip(onlyPostgres(h()), "races are real on PostgreSQL, which is configured");
    const { key, remaining } = await keyWith(h(), { remaining: 100 });
    const results = await Promise.all(Array.from({ length: 50 }, () => h().verify(key, { remaining: { cost: 7 } })));
    expect(countCodes(results)).toEqual({ VALID: 14, USAGE_EXCEEDED: 36 });
    expect(await remaining()).toBe(2);
  });
});

/** The same three races split over two app instances, each with its own connection pool, on one PostgreSQL. */
onTwoInstances(
  "adversarial 01: exact credits across two instances [postgres]",
  (a, b) => {

    test.each([
      { credits: 10, concurrent: 100, cost: 1, valid: 10, left: 0 },
      { credits: 1, concurrent: 1000, cost: 1, valid: 1, left: 0 },
      { credits: 100, concurrent: 50, cost: 7, valid: 14, left: 2 },
    ])("remaining=$credits, $concurrent concurrent at cost $cost over both: exactly $valid VALID, $left left", async ({ credits, concurrent, cost, valid, left }) => {
      const { key, remaining } = await keyWith(a(), { remaining: credits });
      const results = await Promise.all(Array.from({ length: concurrent }, (_, i) => (i % 2 ? a() : b()).verify(key, { remaining: { cost } })));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(countCodes(results)).toEqual({ VALID: valid, USAGE_EXCEEDED: concurrent - valid });
      // Both instances admitted some (the split is real), and the balance is exact.
      expect(await remaining()).toBe(left);
    }, 60_000);
  },
);
