import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JWK } from "jose";
import pino from "pino";
import { generateMasterKey } from "../../src/vault/master-keys.ts";
import { openVault } from "../../src/vault/server/open-vault.ts";
import { childConfig, serveChild } from "./serve-child.ts";

export interface VaultChildConfig {
  tokenPublicJwk: JWK;
}

/** A real vault (directory storage in a temp dir, a fresh master key), as its own process. */
const config = childConfig<VaultChildConfig>();
const vaultDir = mkdtempSync(join(tmpdir(), "keyhold-bench-vault-"));
const vault = await openVault({
  vaultDir,
  databaseUrl: null,
  masterKeys: generateMasterKey(),
  tokenPublicJwk: config.tokenPublicJwk,
  dekMaxAgeMs: 30 * 86_400_000,
  dekMaxUses: 2 ** 24,
  dekCacheTtlMs: 60_000,
  logger: pino({ level: "warn" }),
});

await serveChild([vault.app], {
  close: async () => {
    await vault.close();
    rmSync(vaultDir, { recursive: true, force: true });
  },
});
