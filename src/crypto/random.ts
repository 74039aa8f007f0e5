/** The most getRandomValues fills in one call (the Web Crypto limit). */
const MAX_CHUNK = 65_536;

/** Requests up to this size are served from the pool. */
const POOLED_UP_TO = 256;
const POOL_BYTES = 16_384;
const pool = new Uint8Array(POOL_BYTES);
let poolOffset = POOL_BYTES;

/**
 * Bytes from the operating system's CSPRNG (Web Crypto, so Node and Workers alike).
 * The only source of randomness in Keyhold.
 *
 * Small requests (ids, nonces, key secrets) are cut from a pool filled 16 KiB at a time, as
 * Node's randomUUID does: one getRandomValues call per request was a twentieth of a
 * createKey's CPU. Bytes handed out are zeroed in the pool at once, so no secret stays
 * behind in it; every byte is handed out once.
 */
export function randomBytes(length: number): Uint8Array {
  if (length <= POOLED_UP_TO) {
    if (poolOffset + length > POOL_BYTES) {
      globalThis.crypto.getRandomValues(pool);
      poolOffset = 0;
    }
    const range = pool.subarray(poolOffset, poolOffset + length);
    poolOffset += length;
    const bytes = range.slice();
    range.fill(0);
    return bytes;
  }
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + MAX_CHUNK)));
  }
  return bytes;
}
