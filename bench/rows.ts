import type { LoadResult } from "./load.ts";

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

/** `value` against `base`: a row compared to a baseline run, with an optional minimum req/s ratio. */
export function compared(scenario: string, r: LoadResult, baseline: string, base: LoadResult | null, min?: number, extra: Partial<Row> = {}): Row {
  if (!base) return loadRow(scenario, r, { baseline: `${baseline} (not run)`, ...extra });
  const ratio = r.rps / base.rps;
  return loadRow(scenario, r, {
    baseline,
    ratio: `${ratio.toFixed(2)}×`,
    ...(min !== undefined && { target: `≥ ${min}× req/s`, result: pass(ratio >= min && r.failures === 0) }),
    ...extra,
  });
}

export function pass(ok: boolean): "PASS" | "MISS" {
  return ok ? "PASS" : "MISS";
}
