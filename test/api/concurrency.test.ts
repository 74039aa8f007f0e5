import { eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { keys } from "../../src/db/schema.ts";
import { databaseKinds, forEachDatabase } from "../harness.ts";

const DAY = 86_400_000;

/**
 * A window length of at least a minute whose current window has `margin` ms left, found
 * without waiting (windows are aligned to multiples of their length since the epoch).
 */
function roomyWindow(margin = 20_000): number {
  const now = Date.now();
  let duration = 60_000;
  while (duration - (now % duration) < margin) duration += 1000;
  return duration;
}

function countCodes(results: { body: { code: string } }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.body.code] = (counts[r.body.code] ?? 0) + 1;
  return counts;
}

/**
 * Many requests at once on one key: the limits must hold exactly. PGlite has one connection
 * and serializes everything, so the races are real only on PostgreSQL: when one is configured
 * these run there alone, otherwise on PGlite so that the logic is still checked.
 */
forEachDatabase("verify limits under concurrency", (h) => {
  const onlyPostgres = () => h().kind === "pglite" && databaseKinds().includes("postgres");

  async function setup(body: Record<string, unknown>) {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { keyId, key } = await h().createKey(ws, apiId, body);
    const getKey = async () => (await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body;
    return { ws, apiId, keyId, key, getKey };
  }

  test("concurrency: remaining=10, 100 concurrent verifies give exactly 10 VALID and leave 0", async ({ skip }) => {
    skip(onlyPostgres(), "races are real on PostgreSQL, which is configured");
    const { key, getKey } = await setup({ remaining: 10 });
    const results = await Promise.all(Array.from({ length: 100 }, () => h().verify(key)));
    expect(countCodes(results)).toEqual({ VALID: 10, USAGE_EXCEEDED: 90 });
    const balances = results.filter((r) => r.body.valid).map((r) => r.body.remaining).sort((a, b) => a - b);
    expect(balances).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await getKey()).remaining).toBe(0);
  });

  test("concurrency: remaining=100 at cost 7, 50 concurrent verifies give exactly 14 VALID and leave 2", async ({ skip }) => {
    skip(onlyPostgres(), "races are real on PostgreSQL, which is configured");
    const { key, getKey } = await setup({ remaining: 100 });
    const results = await Promise.all(Array.from({ length: 50 }, () => h().verify(key, { remaining: { cost: 7 } })));
    expect(countCodes(results)).toEqual({ VALID: 14, USAGE_EXCEEDED: 36 });
    expect((await getKey()).remaining).toBe(2);
  });

  test("concurrency: a rate limit of 10 per minute admits exactly 10 of 100 concurrent verifies", async ({ skip }) => {
    skip(onlyPostgres(), "races are real on PostgreSQL, which is configured");
    const { key } = await setup({ ratelimit: { limit: 10, duration: roomyWindow() } });
    const results = await Promise.all(Array.from({ length: 100 }, () => h().verify(key)));
    expect(countCodes(results)).toEqual({ VALID: 10, RATE_LIMITED: 90 });
    const left = results.filter((r) => r.body.valid).map((r) => r.body.ratelimit.remaining).sort((a, b) => a - b);
    expect(left).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("concurrency: a due refill is applied once, however many verifies race for it", async ({ skip }) => {
    skip(onlyPostgres(), "races are real on PostgreSQL, which is configured");
    const { keyId, key, getKey } = await setup({ remaining: 0, refill: { interval: "daily", amount: 10 } });
    await h().db.update(keys).set({ lastRefillAt: Date.now() - 2 * DAY }).where(eq(keys.id, keyId));
    const results = await Promise.all(Array.from({ length: 40 }, () => h().verify(key)));
    expect(countCodes(results)).toEqual({ VALID: 10, USAGE_EXCEEDED: 30 });
    expect((await getKey()).remaining).toBe(0);
  });

  test("concurrency: updateRemaining increments racing verifies lose nothing", async ({ skip }) => {
    skip(onlyPostgres(), "races are real on PostgreSQL, which is configured");
    const { ws, keyId, key, getKey } = await setup({ remaining: 30 });
    const increments = Array.from({ length: 10 }, () => h().post("/v1/keys.updateRemaining", { keyId, op: "increment", value: 2 }, ws.rootKey));
    const verifies = Array.from({ length: 40 }, () => h().verify(key));
    const [incs, vers] = await Promise.all([Promise.all(increments), Promise.all(verifies)]);
    expect(incs.every((r) => r.status === 200)).toBe(true);
    const valid = vers.filter((r) => r.body.valid).length;
    expect(valid).toBeGreaterThanOrEqual(30);
    expect(valid + (await getKey()).remaining).toBe(30 + 10 * 2);
  });

  test("concurrency: credits and rate limit together; refused requests give their slots back", async ({ skip }) => {
    skip(onlyPostgres(), "races are real on PostgreSQL, which is configured");
    const { ws, keyId, key } = await setup({ remaining: 5, ratelimit: { limit: 20, duration: roomyWindow() } });
    const results = await Promise.all(Array.from({ length: 50 }, () => h().verify(key)));
    const counts = countCodes(results);
    expect(counts.VALID).toBe(5);
    expect(counts.VALID! + (counts.USAGE_EXCEEDED ?? 0) + (counts.RATE_LIMITED ?? 0)).toBe(50);
    await h().post("/v1/keys.updateRemaining", { keyId, op: "set", value: 100 }, ws.rootKey);
    // Only the 5 admitted requests hold a slot: 20 - 5 - this one.
    expect((await h().verify(key)).body).toMatchObject({ valid: true, remaining: 99, ratelimit: { remaining: 14 } });
  });

});
