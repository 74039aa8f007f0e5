/**
 * The vault's own storage: one document per keyring holding only wrapped DEKs. It never
 * sees a ciphertext, a key hash or a key id; those live in the API's database.
 */
export interface DekRecord {
  id: string;
  createdAt: number;
  /** The master key that wraps this DEK. */
  kekId: string;
  /** base64url(nonce ‖ AES-256-GCM(DEK) ‖ tag) under that master key. */
  wrapped: string;
  /** Encryptions this DEK may have made: reserved in blocks, so a crash can only over-count. */
  usesReserved: number;
}

export interface KeyringDocument {
  format: 1;
  keyring: string;
  /** Bumped on every write; writes compare-and-swap on it. */
  revision: number;
  primary: string;
  deks: DekRecord[];
}

export interface VaultStorage {
  read(keyring: string): Promise<KeyringDocument | null>;
  /** Stores `doc` if the stored revision is `doc.revision - 1` (absent counts as 0); false on a conflict. */
  write(doc: KeyringDocument): Promise<boolean>;
  list(): Promise<string[]>;
  close(): Promise<void>;
}

export const KEYRING_NAME = /^[A-Za-z0-9_-]{1,128}$/;
