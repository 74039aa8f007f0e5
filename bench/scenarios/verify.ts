import type { Fixtures } from "../fixtures.ts";
import { call, expectV2Verify, expectVerify, verifyBodies } from "../http.ts";
import { type LoadResult, type LoadSpec, runLoad } from "../load.ts";
import { type Paired, formatSpread, measurePairs, measureRepeated } from "../pairs.ts";
import type { Profile } from "../profile.ts";
import type { ChildStats } from "../servers/serve-child.ts";
import { type Row, compared, isPaired, loadRow, pass } from "../rows.ts";

export interface VerifyTargets {
  ceiling: string;
  dbCeiling: string | null;
  cached: string;
  uncached: string;
  /** The Keyhold child serving a URL, for its CPU and cache counters over a row. */
  statsOf?: (url: string) => Promise<ChildStats>;
}

/**
 * What the target's Keyhold process did during a row (its warm-up runs included): CPU per
 * request and verify-cache misses. A row whose ratio drops while CPU per request stays put
 * was waiting (the database, locks), not working; misses say whether the cache was churning.
 */
interface ServerSide {
  cpuMicrosPerRequest: number;
  cacheHits: number;
  cacheMisses: number;
}

function serverSide(before: ChildStats, after: ChildStats, requests: number): ServerSide {
  const cache = (s: ChildStats) => ((s.caches as { hits: number; misses: number }[] | undefined) ?? []).reduce((a, c) => ({ hits: a.hits + c.hits, misses: a.misses + c.misses }), { hits: 0, misses: 0 });
  const [b, a] = [cache(before), cache(after)];
  return { cpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / Math.max(requests, 1), cacheHits: a.hits - b.hits, cacheMisses: a.misses - b.misses };
}

const serverNote = (s: ServerSide | undefined) =>
  s && `Keyhold ${s.cpuMicrosPerRequest.toFixed(0)} µs CPU/req${s.cacheHits + s.cacheMisses > 0 ? `, ${s.cacheMisses.toLocaleString("en-US")} cache misses` : ""}`;

const VERIFY = "/v1/keys.verifyKey";
const V2_VERIFY = "/v2/keys.verifyKey";

export const verifyLoad = (p: Profile, url: string, keys: string[], path = VERIFY, connections = p.verifyConnections): LoadSpec => ({
  url,
  paths: [path],
  bodies: verifyBodies(keys),
  connections,
  durationS: p.durationS,
});

/**
 * Every verify scenario against the baseline it is judged by, as interleaved pairs
 * (bench/pairs.ts): both see the same machine, run after run.
 */
export async function verifyScenarios(p: Profile, fx: Fixtures, t: VerifyTargets, log: (s: string) => void): Promise<{ rows: Row[]; uncached: LoadResult }> {
  async function pairs(name: string, baseline: LoadSpec, target: LoadSpec, plan?: Profile): Promise<Paired>;
  async function pairs(name: string, baseline: LoadSpec | null, target: LoadSpec): Promise<Paired | LoadResult>;
  async function pairs(name: string, baseline: LoadSpec | null, target: LoadSpec, plan = p): Promise<Paired | LoadResult> {
    log(`  ${name}: ${plan.pairs} quads of ${p.durationS} s runs…`);
    // Every key asked for twice first, so a cached run measures hits, not the first loads.
    for (const spec of [baseline, target]) if (spec) await runLoad({ ...spec, amount: 2 * spec.bodies!.length });
    const before = await t.statsOf?.(target.url);
    // Without PostgreSQL there is no database ceiling: the target runs alone, unjudged.
    const result = baseline ? await measurePairs(baseline, target, plan) : await measureRepeated(target, plan);
    const after = await t.statsOf?.(target.url);
    if (before && after) servers.set(name, serverSide(before, after, isPaired(result) ? result.target.requests : result.requests));
    return result;
  }
  const servers = new Map<string, ServerSide>();
  /** A row's note and data, with what its target's process did. */
  const server = (name: string, note?: string): Partial<Row> => {
    const s = servers.get(name);
    return { note: [note, serverNote(s)].filter(Boolean).join("; ") || undefined, ...(s && { data: { server: s } }) };
  };
  const db = (path: string, keys: string[]) => (t.dbCeiling ? verifyLoad(p, t.dbCeiling, keys, path) : null);
  const baselineRow = (scenario: string, r: Paired | LoadResult) => {
    if (isPaired(r)) rows.push(loadRow(scenario, r.baseline, { note: pairedRunsNote(p) }));
  };
  const rows: Row[] = [];

  await expectVerify(t.cached + VERIFY, fx.hot[0]!, "VALID");
  const cached = await pairs("verify cached vs ceiling", verifyLoad(p, t.ceiling, fx.hot), verifyLoad(p, t.cached, fx.hot));
  rows.push(loadRow("ceiling: bare Hono + SHA-256 + Map", cached.baseline, { note: pairedRunsNote(p) }));
  rows.push(
    compared("verify valid, cached", cached, "ceiling", undefined, {
      ratio: `${formatSpread(cached.rps)}, p99 ${formatSpread(cached.p99)}`,
      target: "≥ 0.8× req/s, p99 ≤ 1.5×",
      result: pass(cached.rps.median >= 0.8 && cached.p99.median <= 1.5 && cached.target.failures === 0),
      ...server("verify cached vs ceiling"),
    }),
  );

  // v2 needs a root key: authenticated (root-key cache), then the lookup scoped to its workspace.
  await expectV2Verify(t.cached + V2_VERIFY, fx.rootKey, fx.hot[0]!);
  const v2Load = { ...verifyLoad(p, t.cached, fx.hot, V2_VERIFY), headers: { authorization: `Bearer ${fx.rootKey}` } };
  const v2 = await pairs("v2 verify cached vs v1 verify cached", verifyLoad(p, t.cached, fx.hot), v2Load, nearParity(p));
  rows.push(
    compared("v2 verifyKey (root key), cached", v2, "v1 verify, cached", undefined, {
      ratio: `${formatSpread(v2.rps)}, p99 ${formatSpread(v2.p99)}`,
      target: "≥ 0.9× req/s, p99 ≤ 1.2×",
      result: pass(v2.rps.median >= 0.9 && v2.p99.median <= 1.2 && v2.target.failures === 0 && v2.baseline.failures === 0),
      note: nearParityNote(p),
    }),
  );

  await expectVerify(t.uncached + VERIFY, fx.hot[0]!, "VALID");
  const uncached = await pairs("verify uncached vs database SELECT", db("/select", fx.hot), verifyLoad(p, t.uncached, fx.hot));
  baselineRow("db ceiling: postgres.js SELECT by hash", uncached);
  rows.push(compared("verify valid, uncached", uncached, "db ceiling SELECT", 0.7, server("verify uncached vs database SELECT")));

  await expectVerify(t.cached + VERIFY, fx.unknown[0]!, "NOT_FOUND");
  const unknown = await pairs("verify unknown vs ceiling", verifyLoad(p, t.ceiling, fx.hot), verifyLoad(p, t.cached, fx.unknown));
  rows.push(compared("verify unknown key, cached instance", unknown, "ceiling", undefined, server("verify unknown vs ceiling", "unknown hashes are cached 1 s")));

  await expectVerify(t.cached + VERIFY, fx.credits[0]!, "VALID");
  const credits = await pairs("verify credits vs database UPDATE", db("/credits", fx.credits), verifyLoad(p, t.cached, fx.credits));
  baselineRow("db ceiling: raw conditional UPDATE (credits)", credits);
  rows.push(compared("verify with credits, cached instance", credits, "raw conditional UPDATE", 0.7, server("verify credits vs database UPDATE")));

  await expectVerify(t.cached + VERIFY, fx.ratelimited[0]!, "VALID");
  const rate = await pairs("verify rate limit vs database upsert", db("/ratelimit", fx.ratelimited), verifyLoad(p, t.cached, fx.ratelimited));
  baselineRow("db ceiling: raw rate-limit upsert", rate);
  rows.push(compared("verify with rate limit, cached instance", rate, "raw rate-limit upsert", 0.7, server("verify rate limit vs database upsert")));

  // Standalone limits: v2 ratelimit.limit (root key and namespace cached) against the same window upsert, raw.
  const limitBodies = standaloneLimitBodies();
  const auth = { authorization: `Bearer ${fx.rootKey}` };
  await expectStandaloneLimit(t.cached, fx.rootKey, limitBodies[0]!);
  const limitLoad = (url: string, path: string): LoadSpec => ({ url, paths: [path], bodies: limitBodies, headers: auth, connections: p.verifyConnections, durationS: p.durationS });
  const standalone = await pairs(
    "ratelimit.limit vs database upsert",
    t.dbCeiling ? limitLoad(t.dbCeiling, "/namespace-ratelimit") : null,
    limitLoad(t.cached, "/v2/ratelimit.limit"),
  );
  baselineRow("db ceiling: raw standalone window upsert", standalone);
  rows.push(compared("v2 ratelimit.limit (root key), cached namespace", standalone, "raw standalone window upsert", 0.7, server("ratelimit.limit vs database upsert")));

  return { rows, uncached: isPaired(uncached) ? uncached.target : uncached };
}

/** 1,000 identifiers in one namespace, with a limit no run reaches: every call is an upsert that passes. */
export function standaloneLimitBodies(): string[] {
  return Array.from({ length: 1000 }, (_, i) => JSON.stringify({ namespace: "bench.standalone", identifier: `user_${i}`, limit: 2_000_000_000, duration: 60_000 }));
}

/** Makes the namespace (first use) and checks that the call passes. */
export async function expectStandaloneLimit(url: string, rootKey: string, body: string): Promise<void> {
  const res = await call<{ data?: { success?: boolean } }>(`${url}/v2/ratelimit.limit`, { body: JSON.parse(body), token: rootKey });
  if (res.status !== 200 || res.body.data?.success !== true) throw new Error(`expected a passing ratelimit.limit from ${url}, got ${res.status} ${JSON.stringify(res.body)}`);
}

export const runsNote = (p: Profile) => `medians of ${p.pairs} runs of ${p.durationS} s`;
/** A row near parity is the median of more quads (Profile.closePairs). */
export const nearParity = (p: Profile): Profile => ({ ...p, pairs: p.closePairs });
export const nearParityNote = (p: Profile) => `median of ${p.closePairs} quads: a target near parity`;
/** A paired side runs twice per ratio (B T T B). */
export const pairedRunsNote = (p: Profile) => `medians of ${2 * p.pairs} runs of ${p.durationS} s`;

/** Uncached verify at the small size, measured before the rest of the keys are seeded (PGlite: one process per data directory). */
export async function verifyAtSmallSize(p: Profile, fx: Fixtures, uncached: string): Promise<LoadResult> {
  await expectVerify(uncached + VERIFY, fx.hotSmall[0]!, "VALID");
  return measureRepeated(verifyLoad(p, uncached, fx.hotSmall), p);
}

/** Uncached verify against a database of the small size (baseline) and one of N keys (target), interleaved. */
export async function measureScale(p: Profile, small: { url: string; keys: string[] }, large: { url: string; keys: string[] }): Promise<Paired> {
  await expectVerify(small.url + VERIFY, small.keys[0]!, "VALID");
  await expectVerify(large.url + VERIFY, large.keys[0]!, "VALID");
  return measurePairs(verifyLoad(p, small.url, small.keys), verifyLoad(p, large.url, large.keys), p);
}

/**
 * p50 at N keys against p50 at 10 000 keys: on PostgreSQL the median of paired ratios (two
 * databases, one per size, interleaved); on PGlite medians of as many runs on each side,
 * before and after seeding.
 */
export function scaleRow(p: Profile, scale: Paired | LoadResult, uncachedLarge: LoadResult): Row {
  const scenario = `verify uncached at ${p.keys.toLocaleString("en-US")} keys`;
  const sizes = p.quick ? "; quick sizes" : "";
  if (isPaired(scale)) {
    return loadRow(scenario, scale.target, {
      baseline: `a database of ${p.smallKeys.toLocaleString("en-US")} keys (p50 ${scale.baseline.p50.toFixed(2)} ms)`,
      ratio: `p50 ${formatSpread(scale.p50)}`,
      target: "p50 ≤ 1.5×",
      result: pass(scale.p50.median <= 1.5 && scale.target.failures === 0 && scale.baseline.failures === 0),
      note: `two databases on one server, one per size, interleaved${sizes}`,
      data: { pairs: scale },
    });
  }
  const ratio = uncachedLarge.p50 / scale.p50;
  return loadRow(scenario, uncachedLarge, {
    baseline: `same at ${p.smallKeys.toLocaleString("en-US")} keys (p50 ${scale.p50.toFixed(2)} ms)`,
    ratio: `p50 ${ratio.toFixed(2)}×`,
    target: "p50 ≤ 1.5×",
    result: pass(ratio <= 1.5),
    note: `${runsNote(p)} each, before and after seeding${sizes}`,
    data: { small: scale },
  });
}
