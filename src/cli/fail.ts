import { ConfigError } from "../config.ts";
import { KeyholdError } from "../errors.ts";

/**
 * The CLI's last word on a failure: one line on stderr, exit code 1, never a stack
 * trace. Expected failures (bad config, a refusal such as a locked data directory)
 * print their own message; anything else is labelled unexpected.
 */
export function exitWithError(error: unknown): never {
  const expected = error instanceof ConfigError || error instanceof KeyholdError;
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split("\n")[0]!.trim();
  process.stderr.write(`keyhold: ${expected ? line : `unexpected error: ${line}`}\n`);
  process.exit(1);
}
