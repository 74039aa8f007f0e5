import type { Command } from "commander";
import { exitWithError } from "../fail.ts";

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("Run the HTTP API (migrates first; on an empty database, creates a workspace and prints its root key once).")
    .action(serve);
}

async function serve(): Promise<void> {
  const { loadConfig } = await import("../../config.ts");
  const { startServer } = await import("../../server.ts");
  const config = loadConfig();
  const server = await startServer(config);
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
