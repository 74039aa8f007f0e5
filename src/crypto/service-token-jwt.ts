import { type CryptoKey, type JWK, SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from "jose";

/**
 * Short-lived tokens the API signs (EdDSA / Ed25519) and the vault checks: the vault holds
 * only the public key, so a leak of the vault cannot mint tokens for it. No Node-only imports:
 * the Workers entry signs with it too (the key files are in service-token.ts).
 */
export const TOKEN_ISSUER = "keyhold-api";
export const TOKEN_AUDIENCE = "keyhold-vault";
export const TOKEN_MAX_AGE_SECONDS = 60;
const ALG = "EdDSA";

export interface TokenKeyPair {
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function generateTokenKeyPair(): Promise<TokenKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { crv: "Ed25519", extractable: true });
  return { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
}

export type TokenSigner = () => Promise<string>;

/** Signs tokens valid for 60 s, reusing one until it is half-way to expiry. */
export async function createTokenSigner(privateJwk: JWK, now: () => number = Date.now): Promise<TokenSigner> {
  const key = (await importJWK(privateJwk, ALG)) as CryptoKey;
  let cached: { token: string; renewAt: number } | null = null;
  return async function signToken() {
    const t = now();
    if (cached && t < cached.renewAt) return cached.token;
    const iat = Math.floor(t / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: ALG })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + TOKEN_MAX_AGE_SECONDS)
      .sign(key);
    cached = { token, renewAt: t + (TOKEN_MAX_AGE_SECONDS * 1000) / 2 };
    return token;
  };
}

export type TokenVerifier = (token: string) => Promise<boolean>;

/** Accepts only our issuer, our audience, EdDSA, and a lifetime of at most 60 s. */
export async function createTokenVerifier(publicJwk: JWK, now: () => number = Date.now): Promise<TokenVerifier> {
  const key = (await importJWK(publicJwk, ALG)) as CryptoKey;
  // The API reuses a token for half its life; remembering the few recently accepted ones
  // (until their own expiry) spares an Ed25519 verification on nearly every call.
  const accepted = new Map<string, number>();
  return async function verifyToken(token) {
    const expiresAt = accepted.get(token);
    if (expiresAt !== undefined) {
      if (expiresAt > now()) return true;
      accepted.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALG],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        maxTokenAge: TOKEN_MAX_AGE_SECONDS,
        requiredClaims: ["iat", "exp"],
        currentDate: new Date(now()),
      });
      if (payload.exp! - payload.iat! > TOKEN_MAX_AGE_SECONDS) return false;
      if (accepted.size >= 16) accepted.delete(accepted.keys().next().value!);
      accepted.set(token, Math.min(payload.exp! * 1000, (payload.iat! + TOKEN_MAX_AGE_SECONDS) * 1000));
      return true;
    } catch {
      return false;
    }
  };
}
