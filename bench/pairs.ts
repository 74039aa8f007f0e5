import { type LoadResult, type LoadSpec, runLoad, runTogether } from "./load.ts";

/**
 * A ratio measured as interleaved pairs of runs, baseline and target, each run as long as
 * the other, on the same servers with the same connections. On two shared cores
 * one baseline run followed by one target run measures the machine's mood of the moment;
 * the pair ratios' median is steady, and their spread says how much the machine moved.
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
  for (let i = 0; i < plan.pairs; i++) {
    // Every other pair runs the target first (B T, T B, B T…): whatever the run before leaves
    // behind (dead rows to vacuum, garbage to collect, a busier neighbour) falls on both sides alike.
    if (i % 2 === 0) {
      const base = await run(b, plan.durationS);
      runs.push({ baseline: base, target: await run(t, plan.durationS) });
    } else {
      const target = await run(t, plan.durationS);
      runs.push({ baseline: await run(b, plan.durationS), target });
    }
  }
  const ratios = (field: "rps" | "p50" | "p99") => spread(runs.map((r) => r.target[field] / r.baseline[field]));
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
