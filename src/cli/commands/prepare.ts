import type { Command } from "commander";

export function registerPrepare(program: Command): void {
  program
    .command("prepare")
    .description("Build the migrated template that new embedded databases start from, so a first start takes ~1 s instead of initdb's 3–10 s (npm ci and npm install run this).")
    .action(prepare);
}

async function prepare(): Promise<void> {
  const { buildTemplate } = await import("../../db/pglite-template.ts");
  const started = performance.now();
  const path = await buildTemplate();
  process.stdout.write(`Embedded database template ready (${Math.round(performance.now() - started)} ms): ${path}\n`);
}
