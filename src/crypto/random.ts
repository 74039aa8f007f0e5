import { randomBytes as nodeRandomBytes } from "node:crypto";

/** Bytes from the operating system's CSPRNG. The only source of randomness in Keyhold. */
export function randomBytes(length: number): Uint8Array {
  return new Uint8Array(nodeRandomBytes(length));
}
