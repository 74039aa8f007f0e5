/** Why the vault refused. Messages name ids (DEK, master key), never key material. */
export type VaultErrorCode =
  | "DECRYPT_FAILED" // tampered, truncated, or bound to another keyring/context
  | "MALFORMED_CIPHERTEXT"
  | "UNKNOWN_DEK"
  | "MASTER_KEY_MISSING"
  | "STORAGE_FAILED"
  | "INVALID_TARGET_KEY"; // an export's target is not a public P-256 key

export class VaultError extends Error {
  constructor(
    readonly code: VaultErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "VaultError";
  }
}
