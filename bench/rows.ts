import type { LoadResult } from "./load.ts";
import { type Paired, formatSpread } from "./pairs.ts";

/** One line of the results table (and of the JSON file). Times are milliseconds. */
export interface Row {
  scenario: string;
  unit: "req/s" | "ops/s" | "ms";
  rate?: number;
  p50?: number;
  p99?: number;
  baseline?: string;
  /** The number the target is about (req/s ratio, p50 ratio, growth…), as shown. */
  ratio?: string;
  target?: string;
  result?: "PASS" | "MISS";
  note?: string;
  /** Raw figures of the row, for the JSON file. */
  data?: Record<string, unknown>;
}

export function loadRow(scenario: string, r: LoadResult, extra: Partial<Row> = {}): Row {
  const failures = r.failures > 0 ? `${r.failures} failed requests! ` : "";
  return {
    scenario,
    unit: "req/s",
    rate: r.rps,
    p50: r.p50,
    p99: r.p99,
    ...extra,
    note: `${failures}${extra.note ?? ""}`.trim() || undefined,
    data: { ...r, ...extra.data },
  };
}

/**
 * The target side of interleaved pairs against their baseline: figures are medians over the
 * runs, the ratio is the median of the pair ratios with their min–max beside it, and an
 * optional minimum req/s ratio is judged on that median.
 */
export function compared(scenario: string, pairs: Paired | LoadResult, baseline: string, min?: number, extra: Partial<Row> = {}): Row {
  if (!isPaired(pairs)) return loadRow(scenario, pairs, { baseline: `${baseline} (not run)`, ...extra });
  const r = pairs.target;
  const baselineFailed = pairs.baseline.failures > 0 ? `baseline: ${pairs.baseline.failures} failed requests! ` : "";
  return loadRow(scenario, r, {
    baseline: `${baseline} (${Math.round(pairs.baseline.rps).toLocaleString("en-US")} req/s)`,
    ratio: formatSpread(pairs.rps),
    ...(min !== undefined && { target: `≥ ${min}× req/s`, result: pass(pairs.rps.median >= min && r.failures === 0 && pairs.baseline.failures === 0) }),
    ...extra,
    note: `${baselineFailed}${extra.note ?? ""}`.trim() || undefined,
    data: { pairs, ...extra.data },
  });
}

/** A target measured alone (its baseline needs PostgreSQL, say) is a plain LoadResult. */
export function isPaired(r: Paired | LoadResult): r is Paired {
  return "runs" in r;
}

export function pass(ok: boolean): "PASS" | "MISS" {
  return ok ? "PASS" : "MISS";
}
