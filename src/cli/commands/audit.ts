import type { Command } from "commander";
import { KeyholdError } from "../../errors.ts";

/**
 * `keyhold audit …`: the audit trail straight from the database (DATABASE_URL or the data
 * directory), read only. `verify` recomputes every chain, `export` writes entries as NDJSON.
 */
export function registerAudit(program: Command): void {
  const audit = program.command("audit").description("Check or export the tamper-evident audit trail, straight from the database.");
  audit
    .command("verify")
    .description(
      "Recompute every workspace's hash chain. Exits 0 if all hold (printing the entries checked per workspace); " +
        "otherwise prints the first entry changed, deleted or reordered in each broken chain and exits 1.",
    )
    .option("--workspace <workspaceId>", "only this workspace's chain")
    .action(verify);
  audit
    .command("export")
    .description("Write the entries at or after --since as NDJSON (one JSON object a line) to stdout, in chain order per workspace.")
    .requiredOption("--since <time>", "Unix milliseconds or an ISO 8601 date, e.g. 2026-01-01T00:00:00Z")
    .option("--workspace <workspaceId>", "only this workspace's entries")
    .action(exportEntries);
}

async function withDatabase<T>(use: (db: import("../../db/client.ts").Database) => Promise<T>): Promise<T> {
  const { databaseTarget, loadConfig } = await import("../../config.ts");
  const { openDatabase } = await import("../../db/client.ts");
  const { migrationStatus } = await import("../../db/migrate.ts");
  const database = await openDatabase(databaseTarget(loadConfig()));
  try {
    const { applied, known } = await migrationStatus(database.db);
    if (applied < known) throw new KeyholdError("PRECONDITION_FAILED", "The database schema is not up to date: run `keyhold migrate` first.");
    return await use(database.db);
  } finally {
    await database.close();
  }
}

async function verify(options: { workspace?: string }): Promise<void> {
  const { chainWorkspaces, describeProblem, verifyChain } = await import("../../audit/verify-chain.ts");
  const broken = await withDatabase(async (db) => {
    let failures = 0;
    const workspaces = await chainWorkspaces(db, options.workspace);
    for (const workspaceId of workspaces) {
      const report = await verifyChain(db, workspaceId);
      if (report.problem) {
        failures++;
        process.stdout.write(`${workspaceId}: BROKEN: ${describeProblem(report.problem)}\n`);
      } else process.stdout.write(`${workspaceId}: OK, ${report.checked} entries checked\n`);
    }
    if (workspaces.length === 0) process.stdout.write("No audit entries.\n");
    return failures;
  });
  if (broken > 0) {
    process.stderr.write(`keyhold: ${broken} audit chain(s) broken\n`);
    process.exitCode = 1;
  }
}

function parseTime(text: string): number {
  const time = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(time) || time < 0) throw new KeyholdError("BAD_REQUEST", `--since: "${text}" is neither Unix milliseconds nor an ISO 8601 date.`);
  return time;
}

async function exportEntries(options: { since: string; workspace?: string }): Promise<void> {
  const since = parseTime(options.since);
  const { chainWorkspaces, readChain } = await import("../../audit/verify-chain.ts");
  await withDatabase(async (db) => {
    for (const workspaceId of await chainWorkspaces(db, options.workspace)) {
      for await (const entry of readChain(db, workspaceId, since)) {
        // Respect a slow reader (a pipe to a SIEM shipper): wait when stdout's buffer is full.
        if (!process.stdout.write(`${JSON.stringify(entry)}\n`)) await new Promise((resolve) => process.stdout.once("drain", resolve));
      }
    }
  });
}
