import * as nodeCrypto from "node:crypto";

const { createHash } = nodeCrypto;
/**
 * Node's one-shot hash (Node 20.12 and later): a key-sized input in about a third of
 * createHash's time, as it builds no Hash object. Where the runtime lacks it (workerd's
 * node:crypto may), createHash gives the same bytes.
 */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: "hex") => string }).hash;

/**
 * SHA-256, by the runtime's native implementation (Node, and Workers with nodejs_compat):
 * every verify hashes its key (its lookup hash, and on a cache miss its checksum too), and for a key-sized
 * input the native hash costs about a quarter of @noble/hashes' (README, Benchmarks). The
 * bytes are the same (src/crypto/hash.test.ts checks them against @noble/hashes).
 */

/** SHA-256 of a UTF-8 string, hex encoded: how keys are stored and looked up. */
export function sha256Hex(value: string): string {
  return oneShot ? oneShot("sha256", value, "hex") : createHash("sha256").update(value, "utf8").digest("hex");
}

export function sha256Bytes(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}
