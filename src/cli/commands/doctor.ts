import type { Command } from "commander";

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("Check the database, migrations, clock, vault (reachable, token accepted), master-key file, layout, and the data directory's owner and the mode of every file in it; exits 1 on any FAIL.")
    .option("--json", "print JSON only")
    .action(doctor);
}

async function doctor(options: { json?: boolean }): Promise<void> {
  const { loadConfig } = await import("../../config.ts");
  const { runChecks } = await import("../../doctor/checks.ts");
  const checks = await runChecks(loadConfig());
  if (options.json) process.stdout.write(`${JSON.stringify({ checks })}\n`);
  else for (const c of checks) process.stdout.write(`${c.status.padEnd(4)}  ${c.name.padEnd(11)}  ${c.detail}\n`);
  process.exitCode = checks.some((c) => c.status === "FAIL") ? 1 : 0;
}
