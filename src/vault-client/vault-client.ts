import type { P256PublicJwk } from "../crypto/export-bundle.ts";

/**
 * How the API reaches the vault: this interface and nothing else. The vault owns the
 * data-encryption keys and master keys; the API only ever holds ciphertexts.
 * `context` is bound into the ciphertext as associated data (the API passes the key id),
 * so a ciphertext copied onto another key's row does not decrypt.
 */
export interface VaultClient {
  encrypt(input: { keyring: string; data: string; context: string }): Promise<{ encrypted: string; keyId: string }>;
  decrypt(input: { keyring: string; encrypted: string; context: string }): Promise<string>;
  decryptMany(input: { keyring: string; items: { encrypted: string; context: string }[] }): Promise<string[]>;
  /** `purpose` "keyPair" for a private key from createKeyPair (it stays sealed); "value" by default. */
  reEncrypt(input: { keyring: string; encrypted: string; context: string; purpose?: "value" | "keyPair" }): Promise<{ encrypted: string; keyId: string }>;
  /**
   * A P-256 key pair made inside the vault: its public JWK, and its private JWK sealed with the
   * keyring's current DEK and bound to `context` as a key pair. The API stores `encrypted`;
   * `decrypt` refuses it, so the private key reaches nobody in clear, the API included.
   */
  createKeyPair(input: { keyring: string; context: string }): Promise<{ publicKey: P256PublicJwk; encrypted: string; keyId: string }>;
  /**
   * A ciphertext opened inside the vault and answered only as a compact JWE (ECDH-ES+A256KW,
   * A256GCM) to `targetPublicKey`: `purpose` "value" for what `encrypt` sealed (a recoverable
   * key), "keyPair" for a private key from createKeyPair.
   */
  exportTo(input: { keyring: string; encrypted: string; context: string; purpose: "value" | "keyPair"; targetPublicKey: P256PublicJwk }): Promise<string>;
  /** The keyring's DEKs (ids and ages only), or null if it has none yet. */
  describeKeyring(keyring: string): Promise<KeyringInfo | null>;
}

export interface KeyringInfo {
  keyring: string;
  primary: string;
  deks: { id: string; createdAt: number; kekId: string }[];
}
