import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { type TokenKeyPair, generateTokenKeyPair } from "./service-token-jwt.ts";

/** Node side of the API→vault tokens: the embedded key file. Signing and checking are in service-token-jwt.ts. */
export * from "./service-token-jwt.ts";

/** The embedded default keeps both halves in one file under the data dir (API and vault share it). */
export function embeddedTokenKeyFile(dataDir: string): string {
  return join(dataDir, "service-token.json");
}

/** The embedded default: one key pair in a 0600 file under the data dir, made on first use. */
export async function loadOrCreateTokenKeyPair(path: string): Promise<TokenKeyPair> {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const pair = await generateTokenKeyPair();
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify(pair));
      closeSync(fd);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  chmodSync(path, 0o600);
  return JSON.parse(readFileSync(path, "utf8")) as TokenKeyPair;
}
