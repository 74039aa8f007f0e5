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
  reEncrypt(input: { keyring: string; encrypted: string; context: string }): Promise<{ encrypted: string; keyId: string }>;
  /** The keyring's DEKs (ids and ages only), or null if it has none yet. */
  describeKeyring(keyring: string): Promise<KeyringInfo | null>;
}

export interface KeyringInfo {
  keyring: string;
  primary: string;
  deks: { id: string; createdAt: number; kekId: string }[];
}
