import type { Command } from "commander";

interface Options {
  name: string;
  json?: boolean;
}

export function registerBootstrap(program: Command): void {
  program
    .command("bootstrap")
    .description("Create a workspace, its first user (\"Owner\") and a root key of that user holding every permission (*). The key is printed once.")
    .option("--name <name>", "workspace name", "default")
    .option("--json", 'print only {"workspaceId","userId","rootKeyId","rootKey"} as JSON')
    .action(bootstrap);
}

async function bootstrap(options: Options): Promise<void> {
  const { databaseTarget, describeDatabase, loadConfig } = await import("../../config.ts");
  const { openDatabase } = await import("../../db/client.ts");
  const { runMigrations } = await import("../../db/migrate.ts");
  const { bootstrapWorkspace } = await import("../../workspaces/bootstrap.ts");
  const config = loadConfig();
  const target = databaseTarget(config);
  const database = await openDatabase(target);
  let created;
  try {
    await runMigrations(database, target); // a fresh data directory works without a separate migrate
    created = await bootstrapWorkspace(database.db, options.name);
  } finally {
    await database.close();
  }
  if (options.json) {
    const { workspaceId, userId, rootKeyId, rootKey } = created;
    process.stdout.write(`${JSON.stringify({ workspaceId, userId, rootKeyId, rootKey })}\n`);
    return;
  }
  process.stdout.write(
    [
      `Created workspace ${created.workspaceId} in ${describeDatabase(config)}, with its first user ${created.userId} ("Owner").`,
      `Root key ${created.rootKeyId} of that user (permission *), shown only this once:`,
      "",
      `  ${created.rootKey}`,
      "",
    ].join("\n"),
  );
}
