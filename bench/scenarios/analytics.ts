import { type SQL, sql } from "drizzle-orm";
import { executeRows } from "../../src/db/execute-rows.ts";
import { DAY_MS, ensurePartitions } from "../../src/analytics/partitions.ts";
import type { Database } from "../../src/db/client.ts";
import { newId } from "../../src/ids.ts";
import type { Fixtures } from "../fixtures.ts";
import { expectVerify } from "../http.ts";
import { type LoadSpec, runLoad } from "../load.ts";
import { formatSpread, measurePairs } from "../pairs.ts";
import type { Profile } from "../profile.ts";
import { type Row, compared, pass } from "../rows.ts";
import type { ChildStats } from "../servers/serve-child.ts";
import { nearParity, nearParityNote, verifyLoad } from "./verify.ts";

/** Keys around the busy one, counted in the same partitions, so the busy key's rows are found among others'. */
const NEIGHBOURS = 100;
const OUTCOMES = ["VALID", "RATE_LIMITED", "USAGE_EXCEEDED"];

export interface AnalyticsFixture {
  busyKeyId: string;
  /** Rows of the busy key in each table, and of all keys. */
  rows: { busyMinute: number; busyHour: number; total: number };
  /** The seeded "now": queries end here. */
  now: number;
}

/**
 * A month of one busy key's counts, seeded straight into the tables as the service would have
 * left them: the last 7 days in minute buckets (3 outcomes every minute), the 24 days before
 * in hour buckets (rolled up), and NEIGHBOURS other keys of the same API with a count every
 * 10 minutes over the same 7 days.
 */
export async function seedAnalytics(db: Database, fx: Fixtures, now = Date.now()): Promise<AnalyticsFixture> {
  const busyKeyId = newId("key");
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const days = Array.from({ length: 33 }, (_, i) => today - (31 - i) * DAY_MS);
  await ensurePartitions(db, "key_verifications_minute", days);
  await ensurePartitions(db, "key_verifications_hour", days);
  const minuteFrom = Math.floor((now - 7 * DAY_MS) / 60_000) * 60_000;
  const hourFrom = Math.floor((now - 31 * DAY_MS) / 3_600_000) * 3_600_000;
  const outcomes = sql.raw(`array[${OUTCOMES.map((o) => `'${o}'`).join(", ")}]`);
  await db.execute(sql`
    insert into key_verifications_minute (time, workspace_id, api_id, key_id, outcome, count)
    select t, ${fx.workspaceId}, ${fx.apiId}, ${busyKeyId}, o, 1 + (t / 60000) % 50
    from generate_series(${minuteFrom}::bigint, ${now}::bigint, 60000::bigint) as t, unnest(${outcomes}) as o`);
  await db.execute(sql`
    insert into key_verifications_hour (time, workspace_id, api_id, key_id, outcome, count)
    select t, ${fx.workspaceId}, ${fx.apiId}, ${busyKeyId}, o, 3000
    from generate_series(${hourFrom}::bigint, ${minuteFrom - 1}::bigint, 3600000::bigint) as t, unnest(${outcomes}) as o`);
  await db.execute(sql`
    insert into key_verifications_minute (time, workspace_id, api_id, key_id, outcome, count)
    select t, ${fx.workspaceId}, ${fx.apiId}, 'key_neighbour_' || n, 'VALID', 1
    from generate_series(${minuteFrom}::bigint, ${now}::bigint, 600000::bigint) as t, generate_series(1, ${NEIGHBOURS}) as n`);
  await db.execute(sql`analyze key_verifications_minute`);
  await db.execute(sql`analyze key_verifications_hour`);
  const count = async (q: SQL) => (await executeRows<{ n: number }>(db, q))[0]!.n;
  return {
    busyKeyId,
    now,
    rows: {
      busyMinute: await count(sql`select count(*)::int as n from key_verifications_minute where key_id = ${busyKeyId}`),
      busyHour: await count(sql`select count(*)::int as n from key_verifications_hour where key_id = ${busyKeyId}`),
      total: await count(sql`select ((select count(*) from key_verifications_minute) + (select count(*) from key_verifications_hour))::int as n`),
    },
  };
}

const auth = (fx: Fixtures) => ({ authorization: `Bearer ${fx.rootKey}` });

/**
 * The two analytics rows:
 * - cached verify with analytics on against the same with analytics off (two processes
 *   started together for the row, the same keys, interleaved quads): the recorder's cost on
 *   the hot path;
 * - a month of the busy key (groupBy day) against one day of it (groupBy hour), one
 *   connection each: p50 against p50. The month reads about 7.4× the day's rows of that key
 *   (7 days of minutes + 24 days of hours against 1 day of minutes); a p50 within 10× shows
 *   the read scales with that key's rows in the range (index range scans in pruned day
 *   partitions), not with the table.
 */
export interface AnalyticsTargets {
  on: string;
  /** Unset (PGlite: one process): the on/off row is skipped. */
  off?: string;
  /** The processes serving them (one each), for Keyhold's CPU per request on either side. */
  statsOn?: () => Promise<ChildStats>;
  statsOff?: () => Promise<ChildStats>;
}

export async function analyticsScenarios(p: Profile, fx: Fixtures, a: AnalyticsFixture, urls: AnalyticsTargets, log: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  if (urls.off) rows.push(await analyticsOnOff(p, fx, { ...urls, off: urls.off }, log));
  else rows.push({ scenario: "verify cached, analytics on", unit: "req/s", note: "skipped: needs two Keyhold processes on one PostgreSQL" });

  const query = (start: number, groupBy: string): LoadSpec => ({
    url: urls.on,
    method: "GET",
    paths: [`/v1/analytics.getVerifications?apiId=${fx.apiId}&keyId=${a.busyKeyId}&start=${start}&end=${a.now}&groupBy=${groupBy}`],
    headers: auth(fx),
    connections: 1,
    durationS: p.durationS,
  });
  const month = query(a.now - 30 * DAY_MS, "day");
  const day = query(a.now - DAY_MS, "hour");
  for (const spec of [month, day]) {
    const res = await fetch(spec.url + spec.paths[0]!, { headers: auth(fx) });
    if (res.status !== 200) throw new Error(`analytics query answered ${res.status}: ${await res.text()}`);
  }
  log(`  analytics month vs day: ${p.pairs} quads…`);
  const range = await measurePairs(day, month, p);
  rows.push(
    compared("analytics: a month of a busy key, groupBy day", range, "one day of it, groupBy hour", undefined, {
      ratio: `p50 ${formatSpread(range.p50)}`,
      target: "p50 ≤ 10×",
      result: pass(range.p50.median <= 10 && range.target.failures === 0),
      note: `${a.rows.busyMinute.toLocaleString("en-US")} minute + ${a.rows.busyHour.toLocaleString("en-US")} hour rows of the key among ${a.rows.total.toLocaleString("en-US")}; 1 connection`,
    }),
  );
  return rows;
}

/** Cached verify with analytics on against the same with analytics off: interleaved quads, with each process's CPU per request. */
async function analyticsOnOff(p: Profile, fx: Fixtures, urls: AnalyticsTargets & { off: string }, log: (s: string) => void): Promise<Row> {
  await expectVerify(`${urls.on}/v1/keys.verifyKey`, fx.hot[0]!, "VALID");
  await expectVerify(`${urls.off}/v1/keys.verifyKey`, fx.hot[0]!, "VALID");
  log(`  analytics on vs off: ${p.closePairs} quads of ${p.durationS} s runs…`);
  const off = verifyLoad(p, urls.off, fx.hot);
  const on = verifyLoad(p, urls.on, fx.hot);
  // Every key asked for twice first, so both runs measure cache hits.
  for (const spec of [off, on]) await runLoad({ ...spec, amount: 2 * spec.bodies!.length });
  const cpu = async () => [(await urls.statsOn?.())?.cpuMicros, (await urls.statsOff?.())?.cpuMicros];
  const [onBefore, offBefore] = await cpu();
  const verify = await measurePairs(off, on, nearParity(p));
  const [onAfter, offAfter] = await cpu();
  const perRequest = (after?: number, before?: number, requests = 1) => (after === undefined || before === undefined ? null : (after - before) / Math.max(requests, 1));
  const onCpu = perRequest(onAfter, onBefore, verify.target.requests);
  const offCpu = perRequest(offAfter, offBefore, verify.baseline.requests);
  const cpuNote = onCpu !== null && offCpu !== null ? `; Keyhold CPU/req ${onCpu.toFixed(0)} µs on, ${offCpu.toFixed(0)} µs off` : "";
  return compared("verify cached, analytics on", verify, "same, analytics off", 0.9, {
      note: `two processes, same keys; the on one counts every verdict, one upsert every 5 s; ${nearParityNote(p)}${cpuNote}`,
      data: { cpuMicrosPerRequest: { on: onCpu, off: offCpu } },
    });
}
