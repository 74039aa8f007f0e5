import { createHash } from "node:crypto";

/**
 * SHA-256, by the runtime's native implementation (Node, and Workers with nodejs_compat):
 * every verify hashes its key twice (its checksum, then its lookup hash), and for a key-sized
 * input the native hash costs about a quarter of @noble/hashes' (README, Benchmarks). The
 * bytes are the same (src/crypto/hash.test.ts checks them against @noble/hashes).
 */

/** SHA-256 of a UTF-8 string, hex encoded: how keys are stored and looked up. */
export function sha256Hex(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/** SHA-256 of a UTF-8 string. */
export function sha256Text(value: string): Uint8Array {
  return createHash("sha256").update(value, "utf8").digest();
}

export function sha256Bytes(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}
