import { eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { keys } from "../../src/db/schema.ts";
import { databaseKinds, forEachDatabase } from "../harness.ts";

const DAY = 86_400_000;

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

  const setup = (body: Record<string, unknown>) => h().keyFixture(body);

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

});
