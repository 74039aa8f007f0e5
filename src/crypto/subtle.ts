/**
 * Constant-time equality for secrets and digests: the time taken depends only on
 * the lengths, never on where the first difference is. Use it, not `===`, for
 * anything derived from a secret. Two strings are compared by their UTF-16 code units
 * as they are (no encoding: a key's checksum is compared on every verify); a string
 * against bytes by its UTF-8 bytes.
 */
export function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  if (typeof a === "string" && typeof b === "string") return sameUnits(a, b);
  const x = typeof a === "string" ? new TextEncoder().encode(a) : a;
  const y = typeof b === "string" ? new TextEncoder().encode(b) : b;
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i % (x.length || 1)] ?? 0) ^ (y[i % (y.length || 1)] ?? 0);
  return diff === 0;
}

function sameUnits(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  // Past the shorter one's end it wraps around (NaN | 0 is 0 for an empty one): the loop always runs the longer length.
  for (let i = 0; i < n; i++) diff |= a.charCodeAt(i % (a.length || 1)) ^ b.charCodeAt(i % (b.length || 1));
  return diff === 0;
}
