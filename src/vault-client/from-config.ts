import type { JWK } from "jose";
import { type Config, ConfigError, listenUrl } from "../config.ts";
import { createTokenSigner, embeddedTokenKeyFile, loadOrCreateTokenKeyPair } from "../crypto/service-token.ts";
import { createHttpVaultClient } from "./http-vault-client.ts";
import { nodeHttpTransport } from "./node-http-transport.ts";
import type { VaultClient } from "./vault-client.ts";

/**
 * The API's vault client: VAULT_URL with VAULT_TOKEN_PRIVATE_KEY for a vault elsewhere, or
 * the embedded vault on VAULT_PORT with the key pair under the data dir.
 */
export async function vaultClientFromConfig(config: Config): Promise<{ client: VaultClient; url: string }> {
  let privateJwk: JWK;
  if (config.vaultTokenPrivateKey) privateJwk = JSON.parse(config.vaultTokenPrivateKey) as JWK;
  else if (config.vaultUrl) throw new ConfigError("VAULT_TOKEN_PRIVATE_KEY must be set when VAULT_URL points at a vault elsewhere");
  else privateJwk = (await loadOrCreateTokenKeyPair(embeddedTokenKeyFile(config.dataDir))).privateJwk;
  const url = config.vaultUrl ?? listenUrl(config.host, config.vaultPort);
  return { client: await nodeVaultClient(url, privateJwk), url };
}

/** The vault at `url` as a Node process reaches it: tokens signed with `privateJwk`, over kept-alive node:http. */
export async function nodeVaultClient(url: string, privateJwk: JWK): Promise<VaultClient> {
  return createHttpVaultClient({ url, signToken: await createTokenSigner(privateJwk), fetch: nodeHttpTransport() });
}
