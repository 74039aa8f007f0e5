import { sql } from "drizzle-orm";
import pino from "pino";
import { Writable } from "node:stream";
import { beforeAll, expect, test } from "vitest";
import { DAY_MS, listPartitionDays } from "../../src/analytics/partitions.ts";
import { type CountedKey, RECORDER_DEFAULTS, VerificationRecorder } from "../../src/analytics/recorder.ts";
import { RETENTION_DEFAULTS, maintainAnalytics } from "../../src/analytics/retention.ts";
import type { Database } from "../../src/db/client.ts";
import { executeRows } from "../../src/db/execute-rows.ts";
import { type Workspace, forEachDatabase } from "../harness.ts";

/**
 * Rollup, retention and partition upkeep with an injected clock, and the recorder's bounds:
 * counts are recorded at chosen times straight into a recorder, flushed, then the upkeep
 * runs "now" and the counts are read back through the v1 endpoint.
 */

const HOUR = 3_600_000;
/** A fixed "now": 2026-03-15 12:30 UTC. */
const NOW = Date.UTC(2026, 2, 15, 12, 30);
const day = (ago: number) => Math.floor((NOW - ago * DAY_MS) / DAY_MS) * DAY_MS;

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  return { logger: pino({ level: "info" }, stream), lines };
}

forEachDatabase("analytics retention, rollup and recorder bounds", (h) => {
  let ws: Workspace;
  let apiId: string;
  let key: CountedKey;
  beforeAll(async () => {
    ws = await h().workspace();
    apiId = await h().createApi(ws, "retention");
    const { keyId } = await h().createKey(ws, apiId);
    key = { id: keyId, workspaceId: ws.workspaceId, apiId };
  });
  const read = async (query: Record<string, string>) => {
    const res = await h().get("/v1/analytics.getVerifications", { apiId, start: "0", end: String(NOW + DAY_MS), ...query }, ws.rootKey);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { time?: number; valid: number; expired: number; total: number }[];
  };
  const tableCount = async (table: string) => (await executeRows<{ n: number }>(h().db, sql.raw(`select coalesce(sum(count), 0)::int as n from ${table}`)))[0]!.n;

  test("minute buckets older than 7 days are rolled up into hours, days past 90 are dropped, partitions are made ahead; the sums never change but for the expired", async () => {
    const recorder = new VerificationRecorder(h().db, pino({ level: "silent" }), { ...RECORDER_DEFAULTS, flushEveryMs: null });
    // 3 verifies 95 days ago (past retention), 10 days ago in two minutes of one hour, 8 days ago, and 2 today.
    const at = (daysAgo: number, minute: number) => NOW - daysAgo * DAY_MS + minute * 60_000;
    for (let i = 0; i < 3; i++) recorder.record(key, "VALID", undefined, at(95, 0));
    for (let i = 0; i < 4; i++) recorder.record(key, "VALID", ["a"], at(10, 1));
    for (let i = 0; i < 5; i++) recorder.record(key, "VALID", ["a"], at(10, 2));
    recorder.record(key, "EXPIRED", undefined, at(10, 2));
    for (let i = 0; i < 6; i++) recorder.record(key, "VALID", undefined, at(8, 0));
    recorder.record(key, "VALID", undefined, at(0, 0));
    recorder.record(key, "VALID", undefined, at(0, -31)); // 11:59, the hour before
    await recorder.close();
    expect((await read({}))[0]!.total).toBe(3 + 9 + 1 + 6 + 2);
    const minuteDays = await listPartitionDays(h().db, "key_verifications_minute");
    for (const d of [day(95), day(10), day(8), day(0)]) expect(minuteDays).toContain(d);

    const report = await maintainAnalytics(h().db, RETENTION_DEFAULTS, NOW);
    expect(report.expired.minute).toContain(day(95));
    expect(report.rolledUp).toEqual(expect.arrayContaining([day(10), day(8)]));
    expect(report.rolledUp).not.toContain(day(0));
    const after = await listPartitionDays(h().db, "key_verifications_minute");
    for (const d of [day(95), day(10), day(8)]) expect(after).not.toContain(d);
    for (const d of [day(0), day(-1), day(-2)]) expect(after).toContain(d); // today and two days ahead
    const hourDays = await listPartitionDays(h().db, "key_verifications_hour");
    for (const d of [day(10), day(8), day(0), day(-2)]) expect(hourDays).toContain(d);

    // Same sums without the expired 3; the rolled-up day now has one hour row per tag set and outcome.
    expect((await read({}))[0]).toMatchObject({ total: 9 + 1 + 6 + 2, valid: 9 + 6 + 2, expired: 1 });
    expect(await tableCount("key_verifications_hour")).toBe(9 + 1 + 6);
    expect(await tableCount("key_verifications_minute")).toBe(2);
    const hourly = await read({ groupBy: "hour" });
    expect(hourly.map((r) => [r.time, r.total])).toEqual([
      [Math.floor(at(10, 1) / HOUR) * HOUR, 10],
      [Math.floor(at(8, 0) / HOUR) * HOUR, 6],
      [Math.floor(at(0, -31) / HOUR) * HOUR, 1],
      [Math.floor(at(0, 0) / HOUR) * HOUR, 1],
    ]);
    expect((await read({ tag: "a" }))[0]!.total).toBe(9);

    // Idempotent: a second run (or another instance's) changes nothing.
    const again = await maintainAnalytics(h().db, RETENTION_DEFAULTS, NOW);
    expect(again.rolledUp).toEqual([]);
    expect((await read({}))[0]!.total).toBe(18);

    // A late count into a rolled-up day (a clock behind): its partition is made again, counted, and rolled up next time, adding to the hour.
    const late = new VerificationRecorder(h().db, pino({ level: "silent" }), { ...RECORDER_DEFAULTS, flushEveryMs: null });
    late.record(key, "VALID", ["a"], at(10, 3));
    await late.close();
    expect((await read({}))[0]!.total).toBe(19);
    expect((await maintainAnalytics(h().db, RETENTION_DEFAULTS, NOW)).rolledUp).toEqual([day(10)]);
    expect((await read({ groupBy: "hour" }))[0]!.total).toBe(hourly[0]!.total + 1);

    // Past retention, the hour partitions go too: 100 days later only what is newer than 90 days is left (nothing).
    const later = await maintainAnalytics(h().db, RETENTION_DEFAULTS, NOW + 100 * DAY_MS);
    expect(later.expired.hour).toEqual(expect.arrayContaining([day(10), day(8)]));
    expect((await read({ end: String(NOW + 200 * DAY_MS) }))[0]!.total).toBe(0);
  });

  test("a shorter retention and rollup (configurable) apply the same way", async () => {
    const recorder = new VerificationRecorder(h().db, pino({ level: "silent" }), { ...RECORDER_DEFAULTS, flushEveryMs: null });
    const base = NOW + 300 * DAY_MS;
    for (const ago of [0, 2, 4]) recorder.record(key, "VALID", undefined, base - ago * DAY_MS);
    await recorder.close();
    const report = await maintainAnalytics(h().db, { retentionMs: 3 * DAY_MS, rollupAfterMs: DAY_MS }, base);
    expect(report.expired.minute).toContain(Math.floor((base - 4 * DAY_MS) / DAY_MS) * DAY_MS);
    expect(report.rolledUp).toContain(Math.floor((base - 2 * DAY_MS) / DAY_MS) * DAY_MS);
    const res = await h().get("/v1/analytics.getVerifications", { apiId, start: String(base - 10 * DAY_MS), end: String(base + DAY_MS) }, ws.rootKey);
    expect(res.body[0].total).toBe(2);
  });

  test("bounded: beyond maxRows new rows are dropped, counted and logged; counts adding to a pending row still count", async () => {
    const { logger, lines } = capture();
    const recorder = new VerificationRecorder(h().db, logger, { flushEveryMs: null, maxRows: 3, maxBytes: 2 ** 20 });
    const t = Date.now();
    // Rows 1-3 fill the buffer, which starts a write at once (taking them); 4-6 fill it again
    // while that write runs; 7 and 8 find it full: dropped. A repeat of a pending row still counts.
    for (let i = 1; i <= 8; i++) recorder.record(key, "VALID", [`t${i}`], t);
    recorder.record(key, "VALID", ["t5"], t);
    expect(recorder.dropped).toBe(2);
    await recorder.close();
    const dropped = recorder.dropped;
    expect(recorder.verificationsWritten).toBe(7);
    expect(dropped).toBe(2);
    const warned = lines.find((l) => String(l.msg).includes("were not counted"));
    expect(warned?.dropped).toBe(dropped);
  });

  test("a write the database refuses keeps its counts pending; the next flush writes them once", async () => {
    const { logger, lines } = capture();
    let fail = true;
    const db = h().db;
    // The same database, except that the first insert of counts fails (twice: the write retries once).
    const flaky = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop === "execute") {
          return (query: Parameters<Database["execute"]>[0]) => {
            if (fail && JSON.stringify(query).includes("insert into")) throw new Error("database unavailable");
            return target.execute(query);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    }) as Database;
    const recorder = new VerificationRecorder(flaky, logger, { ...RECORDER_DEFAULTS, flushEveryMs: null });
    const before = (await h().get("/v1/analytics.getVerifications", { apiId }, ws.rootKey)).body[0].total;
    for (let i = 0; i < 7; i++) recorder.record(key, "VALID", undefined, Date.now());
    await recorder.flush();
    expect(recorder.writeFailures).toBe(1);
    expect(recorder.size).toBe(1);
    expect(lines.some((l) => String(l.msg).includes("could not be written"))).toBe(true);
    fail = false;
    await recorder.flush();
    expect(recorder.size).toBe(0);
    expect((await h().get("/v1/analytics.getVerifications", { apiId }, ws.rootKey)).body[0].total).toBe(before + 7);
  });

  test("/metrics has the flush lag and the rows written", async () => {
    const k = await h().createKey(ws, apiId);
    await h().verify(k.key);
    const pending = await h().call("GET", "/metrics");
    expect(pending.body).toMatch(/keyhold_analytics_pending_rows [1-9]/);
    expect(pending.body).toMatch(/keyhold_analytics_flush_lag_seconds \d/);
    await h().deps.analytics!.flush();
    const text: string = (await h().call("GET", "/metrics")).body;
    expect(text).toMatch(/keyhold_analytics_rows_written_total [1-9]/);
    expect(text).toContain("keyhold_analytics_flush_lag_seconds 0");
    expect(text).toContain("keyhold_analytics_dropped_total 0");
  });
});
