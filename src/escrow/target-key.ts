import { type P256PublicJwk, parseTargetKey } from "../crypto/export-bundle.ts";
import { KeyholdError } from "../errors.ts";

/**
 * The caller's `targetPublicKey` for an export, reduced to its public members; 400 unless it
 * is a public P-256 JWK whose point is on the curve. Checked before anything is looked up or
 * asked of the vault (which checks it again).
 */
export async function requireTargetKey(jwk: unknown): Promise<P256PublicJwk> {
  const parsed = await parseTargetKey(jwk);
  if (!parsed) {
    throw new KeyholdError("BAD_REQUEST", 'targetPublicKey must be a public P-256 JWK {kty: "EC", crv: "P-256", x, y} (no private `d`) whose point is on the curve.');
  }
  return parsed.jwk;
}
