import { readFileSync } from "node:fs";
import { SCENARIO_GROUPS, USAGE } from "./profile.ts";

/**
 * `--help`: usage and the scenario table of bench/README.md (the one place the scenarios
 * and their targets are written down), without starting anything.
 */
export function helpText(): string {
  const readme = readFileSync(new URL("./README.md", import.meta.url), "utf8");
  const scenarios = readme.split(/^## /m).find((section) => section.startsWith("Scenarios and targets")) ?? "";
  const table = scenarios.split("\n").filter((line) => line.startsWith("|") && !/^\|[-|\s]+\|$/.test(line));
  return [
    `${USAGE}   (or: npx tsx bench/run.ts …)`,
    "  --quick       quads of 1 s runs, smaller memory and revocation runs (about 14 minutes on a 2-vCPU VM)",
    "  --keys N      keys in the database for the main run (default 100 000, at least 20 000)",
    `  --only GROUP  only the scenario groups whose name contains GROUP (${SCENARIO_GROUPS.join(", ")}); results go to <date>…-only-GROUP.json, latest.md is left alone`,
    "",
    "Scenarios and targets (bench/README.md):",
    ...table.map((line) => `  ${line.slice(1, -1).split("|").map((cell) => cell.trim()).join("  —  ")}`),
    "",
  ].join("\n");
}
