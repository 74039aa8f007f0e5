import { base64urlnopad } from "@scure/base";
import { VaultError } from "./vault-error.ts";

/**
 * A ciphertext as stored beside a key row: `v1.<dekId>.<base64url(nonce ‖ ciphertext ‖ tag)>`.
 * It names its DEK, so old ciphertexts stay decryptable after rotation and a re-encryption
 * can tell what it must move.
 */
export const CIPHERTEXT_VERSION = "v1";

export interface Ciphertext {
  dekId: string;
  sealed: Uint8Array;
}

export function encodeCiphertext({ dekId, sealed }: Ciphertext): string {
  return `${CIPHERTEXT_VERSION}.${dekId}.${base64urlnopad.encode(sealed)}`;
}

export function decodeCiphertext(text: string): Ciphertext {
  const parts = text.split(".");
  if (parts.length !== 3 || parts[0] !== CIPHERTEXT_VERSION || !/^dek_[1-9A-HJ-NP-Za-km-z]{22}$/.test(parts[1]!)) {
    throw new VaultError("MALFORMED_CIPHERTEXT", "The ciphertext is not in a format this vault knows.");
  }
  try {
    return { dekId: parts[1]!, sealed: base64urlnopad.decode(parts[2]!) };
  } catch (error) {
    throw new VaultError("MALFORMED_CIPHERTEXT", "The ciphertext is not valid base64url.", { cause: error });
  }
}

const encoder = new TextEncoder();

/**
 * Associated data of a value: its keyring, its DEK and the caller's context (the API
 * passes the key id). A ciphertext moved to another keyring, relabelled with another
 * DEK id or copied onto another key's row fails to decrypt. JSON keeps the parts apart.
 */
export function valueAssociatedData(keyring: string, dekId: string, context: string): Uint8Array {
  return encoder.encode(JSON.stringify(["keyhold.vault.value.v1", keyring, dekId, context]));
}

/**
 * What a sealed value is: a caller's `value` (a recoverable key: `decrypt` gives it back) or
 * the private half of a key pair the vault made (`keyPair`: it leaves the vault only sealed to
 * a caller's public key, never through `decrypt`). Their associated data differ, so a key
 * pair's ciphertext passed to `decrypt` fails like a tampered one.
 */
export type SealPurpose = "value" | "keyPair";

export function sealAssociatedData(purpose: SealPurpose, keyring: string, dekId: string, context: string): Uint8Array {
  if (purpose === "value") return valueAssociatedData(keyring, dekId, context);
  return encoder.encode(JSON.stringify(["keyhold.vault.keypair.v1", keyring, dekId, context]));
}

/** Associated data of a wrapped DEK: bound to its keyring and id, so wrapped DEKs can't be swapped. */
export function dekAssociatedData(keyring: string, dekId: string): Uint8Array {
  return encoder.encode(JSON.stringify(["keyhold.vault.dek.v1", keyring, dekId]));
}
