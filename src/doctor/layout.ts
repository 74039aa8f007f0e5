import type { Config } from "../config.ts";

/**
 * The three secrets of recovery (API database, vault storage, master keys) are meant to
 * live apart: only all three together expose a key. The embedded default keeps them in
 * one data dir for trying Keyhold; these warnings say when a production-looking setup
 * still does.
 */
export function layoutWarnings(config: Config): string[] {
  const production = config.nodeEnv === "production" || config.databaseUrl !== null;
  if (!production) return [];
  const warnings: string[] = [];
  if (!config.vaultMasterKeys) {
    warnings.push("VAULT_MASTER_KEYS is not set: the master key is a file under KEYHOLD_DATA_DIR, beside the vault's storage. Pass it from a secret manager.");
  }
  if (!config.vaultUrl && !config.vaultDatabaseUrl) {
    warnings.push("The vault runs in the API's process with its storage under KEYHOLD_DATA_DIR: run it apart (keyhold vault serve on another host, VAULT_URL here).");
  }
  if (config.vaultDatabaseUrl && config.databaseUrl && sameDatabase(config.vaultDatabaseUrl, config.databaseUrl)) {
    warnings.push("VAULT_DATABASE_URL is the API's own database: give the vault a database (ideally a server) of its own.");
  }
  return warnings;
}

function sameDatabase(a: string, b: string): boolean {
  const x = new URL(a);
  const y = new URL(b);
  return x.hostname === y.hostname && (x.port || "5432") === (y.port || "5432") && x.pathname === y.pathname;
}
