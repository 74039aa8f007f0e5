import { join } from "node:path";
import type { JWK } from "jose";
import type { Logger } from "pino";
import { createTokenVerifier } from "../../crypto/service-token.ts";
import { Keyrings } from "../keyrings.ts";
import { type MasterKeys, loadOrCreateMasterKeyFile, parseMasterKeys } from "../master-keys.ts";
import { DirStorage } from "../storage/dir-storage.ts";
import { PostgresStorage } from "../storage/postgres-storage.ts";
import type { VaultStorage } from "../storage/storage.ts";
import { createVaultApp } from "./app.ts";

export interface VaultOptions {
  /** The vault's own directory: keyrings and (embedded default) the master-key file. */
  vaultDir: string;
  /** VAULT_DATABASE_URL: keyrings in a PostgreSQL database of the vault's own instead of files. */
  databaseUrl: string | null;
  /** VAULT_MASTER_KEYS; null: a generated key in `<vaultDir>/master.key` (embedded default). */
  masterKeys: string | null;
  /** The public half of the API's token key. */
  tokenPublicJwk: JWK;
  dekMaxAgeMs: number;
  dekMaxUses: number;
  dekCacheTtlMs: number;
  logger: Logger;
  /** METRICS_TOKEN for the vault's GET /metrics; null/unset: open. */
  metricsToken?: string | null;
}

export interface Vault {
  app: ReturnType<typeof createVaultApp>;
  keyrings: Keyrings;
  masterKeys: MasterKeys;
  close(): Promise<void>;
}

export function masterKeyFile(vaultDir: string): string {
  return join(vaultDir, "master.key");
}

/** Builds the vault from its parts; the caller decides where it listens. */
export async function openVault(options: VaultOptions): Promise<Vault> {
  const masterKeys = options.masterKeys ? parseMasterKeys(options.masterKeys) : loadEmbeddedMasterKey(options);
  const storage: VaultStorage = options.databaseUrl
    ? await PostgresStorage.open(options.databaseUrl)
    : await DirStorage.open(join(options.vaultDir, "keyrings"));
  const keyrings = new Keyrings({
    storage,
    masterKeys,
    dekMaxAgeMs: options.dekMaxAgeMs,
    dekMaxUses: options.dekMaxUses,
    dekCacheTtlMs: options.dekCacheTtlMs,
  });
  const verifyToken = await createTokenVerifier(options.tokenPublicJwk);
  return {
    app: createVaultApp({ keyrings, verifyToken, logger: options.logger, metricsToken: options.metricsToken }),
    keyrings,
    masterKeys,
    close: () => storage.close(),
  };
}

function loadEmbeddedMasterKey(options: VaultOptions): MasterKeys {
  const path = masterKeyFile(options.vaultDir);
  const { keys, created } = loadOrCreateMasterKeyFile(path);
  if (created) {
    options.logger.warn(
      { path, masterKeyId: keys.primary.id },
      "generated a master key into a file beside the data: fine for trying Keyhold; in production set VAULT_MASTER_KEYS from a secret manager",
    );
  }
  return keys;
}
