import { gcm } from "@noble/ciphers/aes.js";
import { concatBytes } from "@noble/ciphers/utils.js";
import { type Aead, DecryptionError } from "./aead.ts";
import { randomBytes } from "./random.ts";

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/**
 * AES-256-GCM with a fresh random 96-bit nonce per message, output `nonce ‖ ciphertext ‖ tag`.
 * Random nonces are safe for up to 2^32 messages per key; the vault rotates DEKs far
 * earlier (VAULT_DEK_MAX_USES, default 2^24).
 */
export function aes256gcm(key: Uint8Array): Aead {
  if (key.length !== KEY_BYTES) throw new RangeError("AES-256-GCM needs a 32-byte key");
  return {
    encrypt(plaintext, associatedData) {
      const nonce = randomBytes(NONCE_BYTES);
      return concatBytes(nonce, seal(key, nonce, plaintext, associatedData));
    },
    decrypt(ciphertext, associatedData) {
      if (ciphertext.length < NONCE_BYTES + TAG_BYTES) throw new DecryptionError();
      return open(key, ciphertext.subarray(0, NONCE_BYTES), ciphertext.subarray(NONCE_BYTES), associatedData);
    },
  };
}

/** Raw GCM with a caller-given nonce: for standard test vectors only, never for new data. */
export function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  return gcm(key, nonce, associatedData).encrypt(plaintext);
}

export function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Uint8Array {
  if (nonce.length !== NONCE_BYTES || sealed.length < TAG_BYTES) throw new DecryptionError();
  try {
    return gcm(key, nonce, associatedData).decrypt(sealed);
  } catch (error) {
    throw new DecryptionError({ cause: error });
  }
}
