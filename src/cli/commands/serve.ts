import type { Command } from "commander";
import { exitWithError } from "../fail.ts";

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description(
      "Run the HTTP API and, unless VAULT_URL points elsewhere, the vault on VAULT_PORT (migrates first; on an empty database, creates a workspace and prints its root key once).",
    )
    .action(serve);
}

async function serve(): Promise<void> {
  const { loadConfig } = await import("../../config.ts");
  const { createLogger } = await import("../../logger.ts");
  const { startServer } = await import("../../server.ts");
  const { startVaultServer } = await import("../../vault/server/start-vault.ts");
  const { vaultClientFromConfig } = await import("../../vault-client/from-config.ts");
  const config = loadConfig();
  const logger = createLogger(config);
  const { layoutWarnings } = await import("../../doctor/layout.ts");
  for (const warning of layoutWarnings(config)) logger.warn(warning);
  // Before anything writes there: refuse a data dir others could have written to, tighten one they can read.
  const { securePrivateDir, usesDataDir } = await import("../../private-data-dir.ts");
  if (usesDataDir(config)) for (const warning of securePrivateDir(config.dataDir)) logger.warn(warning);
  // Without VAULT_URL the vault runs here too, on its own listener with its own storage.
  const vaultServer = config.vaultUrl ? null : await startVaultServer(config, logger.child({ service: "vault" }));
  const { client } = await vaultClientFromConfig(config);
  const api = await startServer(config, { logger, vault: client }).catch(async (error: unknown) => {
    await vaultServer?.close();
    throw error;
  });
  const server = { close: async () => (await api.close(), await vaultServer?.close()) };
  let stoppingSince = 0;
  const stop = (signal: NodeJS.Signals) => {
    // A terminal's Ctrl-C reaches npm and us at once, so only a later repeat means "now".
    if (stoppingSince) {
      if (Date.now() - stoppingSince < 2000) return;
      process.stderr.write(`keyhold: ${signal} again, exiting without waiting\n`);
      process.exit(1);
    }
    stoppingSince = Date.now();
    process.stderr.write(`keyhold: ${signal} received, finishing in-flight requests\n`);
    server.close().then(() => process.exit(0), exitWithError);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
