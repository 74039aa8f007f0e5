/**
 * Authenticated encryption with associated data, Tink's two-method interface. Callers
 * never choose nonces; a ciphertext decrypts only with the same associated data, and
 * every failure is the same `DecryptionError`, revealing nothing about why.
 */
export interface Aead {
  encrypt(plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array;
  decrypt(ciphertext: Uint8Array, associatedData: Uint8Array): Uint8Array;
}

export class DecryptionError extends Error {
  constructor(options?: { cause?: unknown }) {
    super("decryption failed", options);
    this.name = "DecryptionError";
  }
}
