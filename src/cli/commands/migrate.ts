import type { Command } from "commander";

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("Bring the database schema up to date (idempotent; serve also does this on start).")
    .action(migrate);
}

async function migrate(): Promise<void> {
  const { databaseTarget, describeDatabase, loadConfig } = await import("../../config.ts");
  const { openDatabase } = await import("../../db/client.ts");
  const { runMigrations } = await import("../../db/migrate.ts");
  const config = loadConfig();
  const target = databaseTarget(config);
  const database = await openDatabase(target);
  try {
    await runMigrations(database, target);
  } finally {
    await database.close();
  }
  process.stdout.write(`Migrations applied to ${describeDatabase(config)}.\n`);
}
