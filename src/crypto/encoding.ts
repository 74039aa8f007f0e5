const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/**
 * A number as exactly `width` base58 digits, most significant first. The digits are
 * in ASCII order, so equal-width encodings sort like the numbers they encode.
 */
export function base58Fixed(value: bigint | number, width: number): string {
  // A safe integer (a key's 32-bit checksum, on every verify) without BigInt's allocations.
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError("value must be a non-negative safe integer");
    let n = value;
    let out = "";
    for (let i = 0; i < width; i++) {
      out = BASE58[n % 58] + out;
      n = Math.floor(n / 58);
    }
    if (n !== 0) throw new RangeError(`value does not fit in ${width} base58 digits`);
    return out;
  }
  let n = value;
  let out = "";
  for (let i = 0; i < width; i++) {
    out = BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  if (n !== 0n) throw new RangeError(`value does not fit in ${width} base58 digits`);
  return out;
}
