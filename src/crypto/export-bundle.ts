import { CompactEncrypt, type CryptoKey, importJWK } from "jose";

/**
 * Export bundles: a secret sealed to a caller's P-256 public key as a compact JWE
 * (ECDH-ES+A256KW key agreement, A256GCM content), which only the holder of the matching
 * private key opens (jose's `compactDecrypt`, or any JOSE library).
 */
export const EXPORT_ALG = "ECDH-ES+A256KW";
export const EXPORT_ENC = "A256GCM";

/** A P-256 public key as a JWK (RFC 7518 §6.2), exactly its four public members. */
export interface P256PublicJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
}

/** A P-256 coordinate: 32 bytes, base64url without padding. */
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The caller's target key reduced to its public members, or null when it is not a public
 * P-256 JWK: another key type or curve, a private JWK (it has `d`: the caller must never send
 * its private key), or a point not on the curve (Web Crypto's import checks it; an off-curve
 * point would leak the agreed secret in an invalid-curve attack).
 */
export async function parseTargetKey(jwk: unknown): Promise<{ jwk: P256PublicJwk; key: CryptoKey } | null> {
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) return null;
  const { kty, crv, x, y, d } = jwk as Record<string, unknown>;
  if (kty !== "EC" || crv !== "P-256" || d !== undefined) return null;
  if (typeof x !== "string" || typeof y !== "string" || !COORDINATE.test(x) || !COORDINATE.test(y)) return null;
  const publicJwk: P256PublicJwk = { kty, crv, x, y };
  try {
    return { jwk: publicJwk, key: (await importJWK(publicJwk, EXPORT_ALG)) as CryptoKey };
  } catch {
    return null;
  }
}

/** `plaintext` as a compact JWE to `target` (a key from parseTargetKey). */
export function sealToTarget(target: CryptoKey, plaintext: Uint8Array): Promise<string> {
  return new CompactEncrypt(plaintext).setProtectedHeader({ alg: EXPORT_ALG, enc: EXPORT_ENC }).encrypt(target);
}
