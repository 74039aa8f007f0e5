import { sql } from "drizzle-orm";
import { expect, test } from "vitest";
import { executeRows } from "../../src/db/execute-rows.ts";
import { pruneExpiredWindows } from "../../src/ratelimits/windows.ts";
import { forEachDatabase } from "../harness.ts";

/** Windows of every kind of limit live in one table with no foreign key: ended ones are pruned, live ones never. */
forEachDatabase("rate-limit windows: pruning", (h) => {
  const windowsOf = (subjectId: string) =>
    executeRows<{ window_start: string; expires_at: string; count: number }>(h().db, sql`select window_start, expires_at, count from ratelimit_windows where subject_id = ${subjectId}`);

  test("a window records when it ends; pruning removes it only after it ended (plus the grace), and the limit works after", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const duration = 60_000;
    const { keyId, key } = await h().createKey(ws, apiId, { ratelimit: { limit: 2, duration } });
    const before = Date.now();
    expect((await h().verify(key)).body.code).toBe("VALID");
    const [row] = await windowsOf(keyId);
    const windowStart = Math.floor(before / duration) * duration;
    expect(Number(row!.expires_at) - Number(row!.window_start)).toBe(duration);
    expect([windowStart, windowStart + duration]).toContain(Number(row!.window_start));

    const end = Number(row!.expires_at);
    expect(await pruneExpiredWindows(h().db, end, { graceMs: 1000 })).toBe(0); // ended just now: within the grace
    expect(await windowsOf(keyId)).toHaveLength(1);
    expect(await pruneExpiredWindows(h().db, end + 1001, { graceMs: 1000 })).toBeGreaterThanOrEqual(1);
    expect(await windowsOf(keyId)).toHaveLength(0);
    // Nothing was lost that mattered: a fresh window starts at the next verify.
    expect((await h().verify(key)).body).toMatchObject({ code: "VALID", ratelimit: { limit: 2, remaining: 1 } });
  });

  test("pruning goes in batches until every ended window is gone, and leaves live ones", async () => {
    const now = Date.now();
    const subject = `rl_test_${now}`;
    await h().db.execute(sql`
      insert into ratelimit_windows (subject_id, name, window_start, count, expires_at)
      select ${subject}::text, 'ended-' || g, ${now - 10 * 60_000}::bigint, 1, ${now - 5 * 60_000}::bigint from generate_series(1, 25) g
      union all select ${subject}::text, 'live', ${now}::bigint, 1, ${now + 60_000}::bigint`);
    expect(await pruneExpiredWindows(h().db, now, { batch: 10 })).toBeGreaterThanOrEqual(25);
    expect((await windowsOf(subject)).map((r) => Number(r.expires_at))).toEqual([now + 60_000]);
  });
});
