import { mkdirSync, writeFileSync } from "node:fs";
import type { Row } from "./rows.ts";

const headers = ["scenario", "req/s", "p50", "p99", "baseline", "ratio", "target", "result", "note"];

function cells(row: Row): string[] {
  const rate = row.rate === undefined ? "" : `${Math.round(row.rate).toLocaleString("en-US")}${row.unit === "ops/s" ? " ops/s" : ""}`;
  return [row.scenario, rate, ms(row.p50), ms(row.p99), row.baseline ?? "", row.ratio ?? "", row.target ?? "", row.result ?? "", row.note ?? ""];
}

function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "";
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(1)} ms`;
}

/** The one table, aligned for a terminal. */
export function formatTable(rows: Row[]): string {
  const table = [headers, ...rows.map(cells)];
  const widths = headers.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(" │ ").trimEnd();
  return [line(headers), widths.map((w) => "─".repeat(w)).join("─┼─"), ...rows.map((r) => line(cells(r)))].join("\n");
}

export function formatMarkdown(rows: Row[], meta: Record<string, unknown>): string {
  const esc = (c: string) => c.replaceAll("|", "\\|");
  return [
    `<!-- written by npm run bench (bench/report.ts); ${String(meta.date)} -->`,
    `Keyhold benchmark, ${meta.mode} run, ${meta.keys} keys, ${meta.database}; ${meta.cpu} × ${meta.cores} cores, Node ${meta.node}.`,
    "",
    `| ${headers.join(" | ")} |`,
    `|${headers.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${cells(r).map(esc).join(" | ")} |`),
    "",
  ].join("\n");
}

/**
 * bench/results/<YYYY-MM-DD>.json (machine, settings, every row) and bench/results/latest.md.
 * A partial run (`--only`) writes <date>…-only-<group>.json and leaves latest.md to full runs.
 */
export function writeResults(rows: Row[], meta: Record<string, unknown>): { json: string; markdown?: string } {
  const dir = new URL("./results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  // The default run is <date>.json; --quick, other --keys sizes and --only get a suffix, so one day's runs don't overwrite each other.
  const only = typeof meta.only === "string" ? `-only-${meta.only.replaceAll(/[^a-z0-9]+/gi, "-")}` : "";
  const suffix = `${meta.mode === "quick" ? "-quick" : ""}${meta.keys === 100_000 ? "" : `-${String(meta.keys)}-keys`}${only}`;
  const json = new URL(`${String(meta.date).slice(0, 10)}${suffix}.json`, dir);
  writeFileSync(json, `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
  if (only) return { json: json.pathname };
  const markdown = new URL("latest.md", dir);
  writeFileSync(markdown, formatMarkdown(rows, meta));
  return { json: json.pathname, markdown: markdown.pathname };
}
