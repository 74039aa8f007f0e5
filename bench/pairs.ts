import { type LoadResult, type LoadSpec, runLoad, runTogether } from "./load.ts";

/**
 * A ratio measured as interleaved runs of baseline and target, each run as long as the
 * other, on the same servers with the same connections: `pairs` ratios, each from four runs
 * B T T B (or T B B T), so that a drift of the machine during them cancels out. On two
 * shared cores one baseline run followed by one target run measures the machine's mood of
 * the moment; the ratios' median is steady, and their spread says how much the machine moved.
 */

/** One load, or several run together against different servers (req/s summed). */
export type Side = LoadSpec | LoadSpec[];

export interface PairPlan {
  pairs: number;
  /** Seconds per run; both sides of every pair run this long. */
  durationS: number;
  /** One warm-up run per side before the first pair (thrown away). */
  warmupS: number;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface Paired {
  /** Medians over the runs of each side (requests and failures summed). */
  baseline: LoadResult;
  target: LoadResult;
  /** Target ÷ baseline, per pair. */
  rps: Spread;
  p50: Spread;
  p99: Spread;
  runs: { baseline: LoadResult; target: LoadResult }[];
}

/** One ratio's four runs: two of each side. */
interface Quad {
  baseline: [LoadResult, LoadResult];
  target: [LoadResult, LoadResult];
}

export async function measurePairs(baseline: Side, target: Side, plan: PairPlan): Promise<Paired> {
  const [b, t] = [specs(baseline), specs(target)];
  const connections = (s: LoadSpec[]) => s.reduce((n, spec) => n + spec.connections, 0);
  if (connections(b) !== connections(t)) throw new Error("a pair's two sides must use the same number of connections");
  const run = (side: LoadSpec[], durationS: number) => runSide(side.map((s) => ({ ...s, durationS, amount: undefined })));
  if (plan.warmupS > 0) {
    await run(b, plan.warmupS);
    await run(t, plan.warmupS);
  }
  const runs: Paired["runs"] = [];
  const quads: Quad[] = [];
  for (let i = 0; i < plan.pairs; i++) {
    // Each ratio comes from four runs, B T T B (or T B B T every other time): a machine that
    // drifts during the quad (dead rows piling up under an upsert, a neighbour waking up)
    // moves both sides alike, so a steady drift cancels out of the ratio, and what one run
    // leaves behind falls on both sides too. Plain pairs (B T) alternated the order, but a
    // steady drift still made every B-first pair low and every T-first pair high.
    const first = i % 2 === 0 ? b : t;
    const second = i % 2 === 0 ? t : b;
    const results = [];
    for (const side of [first, second, second, first]) results.push(await run(side, plan.durationS));
    const [r1, r2, r3, r4] = results as [LoadResult, LoadResult, LoadResult, LoadResult];
    const quad: Quad = i % 2 === 0 ? { baseline: [r1, r4], target: [r2, r3] } : { baseline: [r2, r3], target: [r1, r4] };
    quads.push(quad);
    runs.push({ baseline: quad.baseline[0], target: quad.target[0] }, { baseline: quad.baseline[1], target: quad.target[1] });
  }
  const ratios = (field: "rps" | "p50" | "p99") =>
    spread(quads.map((q) => (q.target[0][field] + q.target[1][field]) / (q.baseline[0][field] + q.baseline[1][field])));
  return {
    baseline: summarize(runs.map((r) => r.baseline)),
    target: summarize(runs.map((r) => r.target)),
    rps: ratios("rps"),
    p50: ratios("p50"),
    p99: ratios("p99"),
    runs,
  };
}

/** The same load run `plan.pairs` times after a warm-up, summarized: for a side with nothing to pair against. */
export async function measureRepeated(side: Side, plan: PairPlan): Promise<LoadResult> {
  const s = specs(side).map((spec) => ({ ...spec, amount: undefined }));
  if (plan.warmupS > 0) await runSide(s.map((spec) => ({ ...spec, durationS: plan.warmupS })));
  const results: LoadResult[] = [];
  for (let i = 0; i < plan.pairs; i++) results.push(await runSide(s.map((spec) => ({ ...spec, durationS: plan.durationS }))));
  return summarize(results);
}

/** Median req/s, p50 and p99 over several runs; requests and failures summed. */
export function summarize(results: LoadResult[]): LoadResult {
  const med = (field: "rps" | "p50" | "p99") => median(results.map((r) => r[field]));
  return {
    rps: med("rps"),
    p50: med("p50"),
    p99: med("p99"),
    requests: results.reduce((n, r) => n + r.requests, 0),
    failures: results.reduce((n, r) => n + r.failures, 0),
  };
}

export function spread(values: number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** "0.81× (0.75–0.86)": the median, and the min–max of the pair ratios beside it. */
export function formatSpread(s: Spread): string {
  return `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function specs(side: Side): LoadSpec[] {
  return Array.isArray(side) ? side : [side];
}

function runSide(side: LoadSpec[]): Promise<LoadResult> {
  return side.length === 1 ? runLoad(side[0]!) : runTogether(side);
}
