import { Command } from "commander";
import pkg from "../../package.json" with { type: "json" };
import { registerAudit } from "./commands/audit.ts";
import { registerBootstrap } from "./commands/bootstrap.ts";
import { registerDoctor } from "./commands/doctor.ts";
import { registerKeys } from "./commands/keys.ts";
import { registerMigrate } from "./commands/migrate.ts";
import { registerPrepare } from "./commands/prepare.ts";
import { registerServe } from "./commands/serve.ts";
import { registerVault } from "./commands/vault.ts";
import { exitWithError } from "./fail.ts";

/** `keyhold <command>`. Commands load their heavy modules lazily, so `--help` stays instant. */
const program = new Command()
  .name("keyhold")
  .description("Keyhold: issue, verify and (opt-in) recover API keys. Configured by environment variables (see README).")
  .version(pkg.version)
  .addHelpText("after", `
Environment: PORT (8787), HOST (127.0.0.1), DATABASE_URL (unset: embedded PGlite),
KEYHOLD_DATA_DIR (./.keyhold), LOG_LEVEL (info), LOG_FORMAT (json|pretty), VAULT_PORT (8788), VAULT_URL, NODE_ENV.`)
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

registerServe(program);
registerMigrate(program);
registerBootstrap(program);
registerKeys(program);
registerVault(program);
registerDoctor(program);
registerPrepare(program);
registerAudit(program);

await program.parseAsync(process.argv).catch(exitWithError);
