/** The most getRandomValues fills in one call (the Web Crypto limit). */
const MAX_CHUNK = 65_536;

/**
 * Bytes from the operating system's CSPRNG (Web Crypto, so Node and Workers alike).
 * The only source of randomness in Keyhold.
 */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + MAX_CHUNK)));
  }
  return bytes;
}
