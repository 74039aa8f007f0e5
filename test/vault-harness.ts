import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import pino from "pino";
import { type TokenKeyPair, createTokenSigner, generateTokenKeyPair } from "../src/crypto/service-token.ts";
import { generateMasterKey } from "../src/vault/master-keys.ts";
import { type Vault, type VaultOptions, openVault } from "../src/vault/server/open-vault.ts";
import { createHttpVaultClient } from "../src/vault-client/http-vault-client.ts";
import { nodeHttpTransport } from "../src/vault-client/node-http-transport.ts";
import type { VaultClient } from "../src/vault-client/vault-client.ts";

/**
 * A real vault on a real loopback listener, with its own directory and master key, and an
 * HTTP client for it signed like the API's. `stop()`/`start()` keep the port, so a test
 * can take the vault away mid-run and bring it back.
 */
export class TestVault {
  vault!: Vault;
  client!: VaultClient;
  private server: ServerType | null = null;
  port = 0;

  private constructor(
    readonly options: VaultOptions,
    readonly tokenKeys: TokenKeyPair,
  ) {}

  static async start(overrides: Partial<VaultOptions> = {}): Promise<TestVault> {
    const tokenKeys = await generateTokenKeyPair();
    const vaultDir = overrides.vaultDir ?? mkdtempSync(join(tmpdir(), "keyhold-test-vault-"));
    const tv = new TestVault(
      {
        vaultDir,
        databaseUrl: null,
        masterKeys: generateMasterKey(),
        tokenPublicJwk: tokenKeys.publicJwk,
        dekMaxAgeMs: 30 * 86_400_000,
        dekMaxUses: 2 ** 24,
        dekCacheTtlMs: 60_000,
        logger: pino({ level: "silent" }),
        ...overrides,
      },
      tokenKeys,
    );
    await tv.start();
    tv.client = createHttpVaultClient({ url: tv.url, signToken: await createTokenSigner(tokenKeys.privateJwk), timeoutMs: 2000, fetch: nodeHttpTransport() });
    return tv;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** (Re)opens the vault from its storage and listens (on the same port as before, if any). */
  async start(overrides: Partial<VaultOptions> = {}): Promise<void> {
    Object.assign(this.options, overrides);
    this.vault = await openVault(this.options);
    await new Promise<void>((resolve) => {
      this.server = serve({ fetch: this.vault.app.fetch, hostname: "127.0.0.1", port: this.port }, (info: AddressInfo) => {
        this.port = info.port;
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    }
    await this.vault.close();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.options.vaultDir, { recursive: true, force: true });
  }
}
