import type { Server } from "node:http";
import { join } from "node:path";
import { createAdaptorServer } from "@hono/node-server";
import { answerClientErrors } from "../../client-errors.ts";
import type { JWK } from "jose";
import type { Logger } from "pino";
import { type Config, listenUrl } from "../../config.ts";
import { embeddedTokenKeyFile, loadOrCreateTokenKeyPair } from "../../crypto/service-token.ts";
import { KeyholdError } from "../../errors.ts";
import { securePrivateDir } from "../../private-data-dir.ts";
import { type Vault, openVault } from "./open-vault.ts";

/** Where the embedded default keeps the vault's files: its own folder under the data dir. */
export function vaultDir(config: Pick<Config, "dataDir">): string {
  return join(config.dataDir, "vault");
}

/** The public key the vault checks tokens with: VAULT_TOKEN_PUBLIC_KEY, or the embedded pair. */
export async function vaultTokenPublicKey(config: Config): Promise<JWK> {
  if (config.vaultTokenPublicKey) return JSON.parse(config.vaultTokenPublicKey) as JWK;
  return (await loadOrCreateTokenKeyPair(embeddedTokenKeyFile(config.dataDir))).publicJwk;
}

export async function openVaultFromConfig(config: Config, logger: Logger): Promise<Vault> {
  // Any of the vault's own files under the data dir (master key, keyrings, token key): owner-only.
  if (!config.vaultMasterKeys || !config.vaultDatabaseUrl || !config.vaultTokenPublicKey) {
    for (const warning of securePrivateDir(config.dataDir)) logger.warn(warning);
  }
  return openVault({
    vaultDir: vaultDir(config),
    databaseUrl: config.vaultDatabaseUrl,
    masterKeys: config.vaultMasterKeys,
    tokenPublicJwk: await vaultTokenPublicKey(config),
    dekMaxAgeMs: config.vaultDekMaxAgeMs,
    dekMaxUses: config.vaultDekMaxUses,
    dekCacheTtlMs: config.vaultDekCacheTtlMs,
    logger,
    metricsToken: config.metricsToken,
  });
}

export interface VaultServer {
  url: string;
  vault: Vault;
  close(): Promise<void>;
}

/** The vault on its own listener (VAULT_PORT), with its own storage. */
export async function startVaultServer(config: Config, logger: Logger): Promise<VaultServer> {
  const vault = await openVaultFromConfig(config, logger);
  const server = createAdaptorServer({ fetch: vault.app.fetch, hostname: config.host }) as Server;
  answerClientErrors(server, logger);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(error.code === "EADDRINUSE" ? new KeyholdError("CONFLICT", `Port ${config.vaultPort} is already in use; set VAULT_PORT to a free port.`) : error),
      );
      server.listen(config.vaultPort, config.host, () => resolve());
    });
  } catch (error) {
    await vault.close();
    throw error;
  }
  const url = listenUrl(config.host, config.vaultPort);
  logger.info({ url, masterKeyId: vault.masterKeys.primary.id, storage: config.vaultDatabaseUrl ? "postgres" : vaultDir(config) }, "vault listening");
  return {
    url,
    vault,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await vault.close();
    },
  };
}
