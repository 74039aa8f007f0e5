import type { Fixtures } from "../fixtures.ts";
import { expectVerify, verifyBodies } from "../http.ts";
import { type LoadResult, type LoadSpec, measure, runLoad } from "../load.ts";
import type { Profile } from "../profile.ts";
import { type Row, compared, loadRow, pass } from "../rows.ts";

export interface VerifyTargets {
  ceiling: string;
  dbCeiling: string | null;
  cached: string;
  uncached: string;
}

const VERIFY = "/v1/keys.verifyKey";

/**
 * Every verify scenario next to the baseline it is judged against, each baseline run
 * right before its scenario so both see the same machine.
 */
export async function verifyScenarios(p: Profile, fx: Fixtures, t: VerifyTargets, log: (s: string) => void): Promise<{ rows: Row[]; cached: LoadResult; uncached: LoadResult }> {
  const load = (url: string, path: string, keys: string[]): LoadSpec => ({
    url,
    paths: [path],
    bodies: verifyBodies(keys),
    connections: p.verifyConnections,
    durationS: p.durationS,
  });
  const run = async (name: string, spec: LoadSpec) => {
    log(`  ${name}…`);
    // Every key asked for once or twice first, so a cached run measures hits, not the first loads.
    await runLoad({ ...spec, amount: 2 * spec.bodies!.length });
    return measure(spec, p.warmupS);
  };
  const rows: Row[] = [];

  const ceiling = await run("ceiling", load(t.ceiling, VERIFY, fx.hot));
  rows.push(loadRow("ceiling: bare Hono + SHA-256 + Map", ceiling));
  await expectVerify(t.cached + VERIFY, fx.hot[0]!, "VALID");
  const cached = await run("verify cached", load(t.cached, VERIFY, fx.hot));
  const rpsRatio = cached.rps / ceiling.rps;
  const p99Ratio = cached.p99 / ceiling.p99;
  rows.push(
    loadRow("verify valid, cached", cached, {
      baseline: "ceiling",
      ratio: `${rpsRatio.toFixed(2)}×, p99 ${p99Ratio.toFixed(2)}×`,
      target: "≥ 0.8× req/s, p99 ≤ 1.5×",
      result: pass(rpsRatio >= 0.8 && p99Ratio <= 1.5 && cached.failures === 0),
    }),
  );

  const dbSelect = t.dbCeiling ? await run("database ceiling: select", load(t.dbCeiling, "/select", fx.hot)) : null;
  if (dbSelect) rows.push(loadRow("db ceiling: postgres.js SELECT by hash", dbSelect));
  await expectVerify(t.uncached + VERIFY, fx.hot[0]!, "VALID");
  const uncached = await run("verify uncached", load(t.uncached, VERIFY, fx.hot));
  rows.push(compared("verify valid, uncached", uncached, "db ceiling SELECT", dbSelect, 0.7));

  await expectVerify(t.cached + VERIFY, fx.unknown[0]!, "NOT_FOUND");
  const unknown = await run("verify unknown", load(t.cached, VERIFY, fx.unknown));
  rows.push(compared("verify unknown key, cached instance", unknown, "ceiling", ceiling, undefined, { note: "unknown hashes are cached 1 s" }));

  const dbCredits = t.dbCeiling ? await run("database ceiling: credits", load(t.dbCeiling, "/credits", fx.credits)) : null;
  if (dbCredits) rows.push(loadRow("db ceiling: raw conditional UPDATE (credits)", dbCredits));
  await expectVerify(t.cached + VERIFY, fx.credits[0]!, "VALID");
  const credits = await run("verify credits", load(t.cached, VERIFY, fx.credits));
  rows.push(compared("verify with credits, cached instance", credits, "raw conditional UPDATE", dbCredits, 0.7));

  const dbRate = t.dbCeiling ? await run("database ceiling: rate limit", load(t.dbCeiling, "/ratelimit", fx.ratelimited)) : null;
  if (dbRate) rows.push(loadRow("db ceiling: raw rate-limit upsert", dbRate));
  await expectVerify(t.cached + VERIFY, fx.ratelimited[0]!, "VALID");
  const rate = await run("verify rate limit", load(t.cached, VERIFY, fx.ratelimited));
  rows.push(compared("verify with rate limit, cached instance", rate, "raw rate-limit upsert", dbRate));

  return { rows, cached, uncached };
}

/** Uncached verify at the small size, measured before the rest of the keys are seeded. */
export async function verifyAtSmallSize(p: Profile, fx: Fixtures, uncached: string): Promise<LoadResult> {
  await expectVerify(uncached + VERIFY, fx.hotSmall[0]!, "VALID");
  return measure(
    { url: uncached, paths: [VERIFY], bodies: verifyBodies(fx.hotSmall), connections: p.verifyConnections, durationS: p.durationS },
    p.warmupS,
  );
}

export function scaleRow(p: Profile, small: LoadResult, large: LoadResult): Row {
  const ratio = large.p50 / small.p50;
  return loadRow(`verify uncached at ${p.keys.toLocaleString("en-US")} keys`, large, {
    baseline: `same at ${p.smallKeys.toLocaleString("en-US")} keys (p50 ${small.p50.toFixed(2)} ms)`,
    ratio: `p50 ${ratio.toFixed(2)}×`,
    target: "p50 ≤ 1.5×",
    result: pass(ratio <= 1.5),
    note: p.quick ? "quick sizes" : undefined,
    data: { small },
  });
}
