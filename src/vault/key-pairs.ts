import { exportJWK, generateKeyPair } from "jose";
import { EXPORT_ALG, type P256PublicJwk, parseTargetKey, sealToTarget } from "../crypto/export-bundle.ts";
import type { SealPurpose } from "./ciphertext.ts";
import type { Keyrings } from "./keyrings.ts";
import { VaultError } from "./vault-error.ts";

const encoder = new TextEncoder();

export interface SealedKeyPair {
  publicKey: P256PublicJwk;
  /** The private JWK sealed with the keyring's current DEK for purpose "keyPair", bound to `context`. */
  encrypted: string;
  dekId: string;
}

/**
 * A new P-256 key pair whose private half exists in clear only here, inside the vault: it
 * is sealed at once (the caller stores the ciphertext) and leaves again only through
 * `exportSealed`, sealed to a caller's public key. `decrypt` refuses it (its purpose differs).
 */
export async function createSealedKeyPair(keyrings: Keyrings, keyring: string, context: string): Promise<SealedKeyPair> {
  const pair = await generateKeyPair(EXPORT_ALG, { crv: "P-256", extractable: true });
  const { x, y, d } = await exportJWK(pair.privateKey);
  const privateJwk = encoder.encode(JSON.stringify({ kty: "EC", crv: "P-256", x, y, d }));
  try {
    const { encrypted, dekId } = await keyrings.encrypt(keyring, privateJwk, context, "keyPair");
    return { publicKey: { kty: "EC", crv: "P-256", x: x!, y: y! }, encrypted, dekId };
  } finally {
    privateJwk.fill(0);
  }
}

export interface ExportInput {
  keyring: string;
  encrypted: string;
  context: string;
  /** "value": a caller's sealed value (a recoverable key); "keyPair": a private key made by createSealedKeyPair. */
  purpose: SealPurpose;
  targetPublicKey: unknown;
}

/** Opens a ciphertext and answers it only sealed to the caller's public key (a compact JWE). */
export async function exportSealed(keyrings: Keyrings, input: ExportInput): Promise<string> {
  const target = await parseTargetKey(input.targetPublicKey);
  if (!target) throw new VaultError("INVALID_TARGET_KEY", "targetPublicKey is not a public P-256 JWK with a point on the curve.");
  const plaintext = await keyrings.decrypt(input.keyring, input.encrypted, input.context, input.purpose);
  try {
    return await sealToTarget(target.key, plaintext);
  } finally {
    plaintext.fill(0);
  }
}
