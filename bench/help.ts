import { readFileSync } from "node:fs";

/**
 * `--help`: usage and the scenario table of bench/README.md (the one place the scenarios
 * and their targets are written down), without starting anything.
 */
export function helpText(): string {
  const readme = readFileSync(new URL("./README.md", import.meta.url), "utf8");
  const scenarios = readme.split(/^## /m).find((section) => section.startsWith("Scenarios and targets")) ?? "";
  const table = scenarios.split("\n").filter((line) => line.startsWith("|") && !/^\|[-|\s]+\|$/.test(line));
  return [
    "usage: npm run bench -- [--quick] [--keys N]   (or: npx tsx bench/run.ts [--quick] [--keys N])",
    "  --quick   quads of 1 s runs, smaller memory and revocation runs (about 6 minutes)",
    "  --keys N  keys in the database for the main run (default 100 000, at least 20 000)",
    "",
    "Scenarios and targets (bench/README.md):",
    ...table.map((line) => `  ${line.slice(1, -1).split("|").map((cell) => cell.trim()).join("  —  ")}`),
    "",
  ].join("\n");
}
