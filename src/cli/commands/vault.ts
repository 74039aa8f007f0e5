import type { Command } from "commander";
import { exitWithError } from "../fail.ts";

export function registerVault(program: Command): void {
  const vault = program.command("vault").description("Run and maintain the vault: master keys, DEKs, re-encryption.");
  vault
    .command("serve")
    .description("Run the vault alone on VAULT_PORT, with its own storage (VAULT_DATABASE_URL or <data dir>/vault).")
    .action(serveVault);
  vault
    .command("status")
    .description("Show each keyring's DEKs (id, age, master key) and which master keys still wrap a DEK.")
    .option("--json", "print JSON only")
    .action(status);
  vault
    .command("create-dek")
    .description("Start a new current DEK for a keyring now (old DEKs keep decrypting until re-encryption retires them).")
    .requiredOption("--keyring <workspaceId>", "the workspace whose keyring rotates")
    .option("--json", "print JSON only")
    .action(createDek);
  vault
    .command("rotate-master")
    .description("Rewrap every DEK under the first key of VAULT_MASTER_KEYS; then the others can be removed. Run where the vault's storage is.")
    .option("--json", "print JSON only")
    .action(rotateMaster);
  vault
    .command("reencrypt")
    .description("Move every recoverable key's ciphertext onto its keyring's current DEK. Resumable and idempotent; reports DEKs left unreferenced.")
    .option("--keyring <workspaceId>", "only this workspace's keys")
    .option("--json", "print JSON only")
    .action(reencrypt);
}

async function serveVault(): Promise<void> {
  const { loadConfig } = await import("../../config.ts");
  const { createLogger } = await import("../../logger.ts");
  const { startVaultServer } = await import("../../vault/server/start-vault.ts");
  const config = loadConfig();
  const server = await startVaultServer(config, createLogger(config));
  const stop = () => server.close().then(() => process.exit(0), exitWithError);
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

async function openLocalVault() {
  const { loadConfig } = await import("../../config.ts");
  const { createLogger } = await import("../../logger.ts");
  const { openVaultFromConfig } = await import("../../vault/server/start-vault.ts");
  const config = loadConfig();
  const logger = createLogger({ logLevel: config.logLevel === "info" ? "warn" : config.logLevel, logFormat: config.logFormat }, process.stderr);
  return { config, vault: await openVaultFromConfig(config, logger) };
}

async function status(options: { json?: boolean }): Promise<void> {
  const { vault } = await openLocalVault();
  try {
    const keyrings = [];
    for (const name of await vault.keyrings.keyringNames()) keyrings.push((await vault.keyrings.describe(name))!);
    const usage = masterKeyUsage(keyrings, [...vault.masterKeys.byId.keys()]);
    if (options.json) return print(JSON.stringify({ primaryMasterKey: vault.masterKeys.primary.id, masterKeys: usage, keyrings }));
    const now = Date.now();
    print(`primary master key: ${vault.masterKeys.primary.id}`);
    for (const [id, n] of Object.entries(usage)) print(`  master key ${id}: wraps ${n} DEK(s)${n === 0 && id !== vault.masterKeys.primary.id ? " (can be removed)" : ""}`);
    for (const ring of keyrings) {
      print(`keyring ${ring.keyring}: ${ring.deks.length} DEK(s)`);
      for (const d of ring.deks) {
        const age = Math.floor((now - d.createdAt) / 86_400_000);
        print(`  ${d.id}${d.id === ring.primary ? " (current)" : ""}  ${age} d old  wrapped by ${d.kekId}  ≤${d.usesReserved} uses`);
      }
    }
  } finally {
    await vault.close();
  }
}

async function createDek(options: { keyring: string; json?: boolean }): Promise<void> {
  const { vault } = await openLocalVault();
  try {
    const dekId = await vault.keyrings.createDek(options.keyring);
    print(options.json ? JSON.stringify({ keyring: options.keyring, dekId }) : `keyring ${options.keyring}: new current DEK ${dekId}`);
  } finally {
    await vault.close();
  }
}

async function rotateMaster(options: { json?: boolean }): Promise<void> {
  const { vault } = await openLocalVault();
  try {
    const result = await vault.keyrings.rewrapAll();
    const keyrings = [];
    for (const name of await vault.keyrings.keyringNames()) keyrings.push((await vault.keyrings.describe(name))!);
    const usage = masterKeyUsage(keyrings, [...vault.masterKeys.byId.keys()]);
    const retirable = Object.keys(usage).filter((id) => usage[id] === 0 && id !== vault.masterKeys.primary.id);
    if (options.json) return print(JSON.stringify({ ...result, primaryMasterKey: vault.masterKeys.primary.id, masterKeys: usage, retirable }));
    print(`rewrapped ${result.rewrapped} DEK(s) in ${result.keyrings} keyring(s) under ${vault.masterKeys.primary.id}`);
    for (const id of retirable) print(`master key ${id} wraps nothing any more: remove it from VAULT_MASTER_KEYS`);
  } finally {
    await vault.close();
  }
}

async function reencrypt(options: { keyring?: string; json?: boolean }): Promise<void> {
  const { databaseTarget, loadConfig } = await import("../../config.ts");
  const { openDatabase } = await import("../../db/client.ts");
  const { runMigrations } = await import("../../db/migrate.ts");
  const { reencryptKeys } = await import("../../keys/reencrypt-keys.ts");
  const { createProgress } = await import("../progress.ts");
  const config = loadConfig();
  const { client, close } = await cliVaultClient(config);
  const target = databaseTarget(config);
  const database = await openDatabase(target);
  const progress = createProgress("reencrypt");
  try {
    await runMigrations(database, target);
    const report = await reencryptKeys(database.db, client, {
      workspaceId: options.keyring,
      onProgress: options.json ? undefined : (p) => progress.update(p.done, p.total),
    });
    progress.stop();
    if (options.json) return print(JSON.stringify(report));
    print(`moved ${report.moved} ciphertext(s) onto their keyring's current DEK`);
    for (const [dek, n] of Object.entries(report.perDek)) print(`  ${dek}: ${n} ciphertext(s)`);
    for (const dek of report.unreferencedDeks) print(`DEK ${dek} protects nothing any more: it can be retired`);
  } finally {
    progress.stop();
    await database.close();
    await close();
  }
}

/**
 * The vault as the API sees it: over HTTP at VAULT_URL, or (embedded default, where the
 * vault's files are local) the vault opened in this process behind the same HTTP client.
 */
async function cliVaultClient(config: import("../../config.ts").Config) {
  const { vaultClientFromConfig } = await import("../../vault-client/from-config.ts");
  if (config.vaultUrl) return { client: (await vaultClientFromConfig(config)).client, close: async () => {} };
  const { createHttpVaultClient } = await import("../../vault-client/http-vault-client.ts");
  const { createTokenSigner, embeddedTokenKeyFile, loadOrCreateTokenKeyPair } = await import("../../crypto/service-token.ts");
  const { vault } = await openLocalVault();
  const { privateJwk } = await loadOrCreateTokenKeyPair(embeddedTokenKeyFile(config.dataDir));
  const client = createHttpVaultClient({ url: "http://vault.local", signToken: await createTokenSigner(privateJwk), fetch: async (url, init) => vault.app.request(url, init) });
  return { client, close: () => vault.close() };
}

function masterKeyUsage(keyrings: { deks: { kekId: string }[] }[], configured: string[]): Record<string, number> {
  const usage: Record<string, number> = Object.fromEntries(configured.map((id) => [id, 0]));
  for (const ring of keyrings) for (const d of ring.deks) usage[d.kekId] = (usage[d.kekId] ?? 0) + 1;
  return usage;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
