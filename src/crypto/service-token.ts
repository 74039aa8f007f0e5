import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { type CryptoKey, type JWK, SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from "jose";

/**
 * Short-lived tokens the API signs (EdDSA / Ed25519) and the vault checks: the vault holds
 * only the public key, so a leak of the vault cannot mint tokens for it.
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

/** The embedded default keeps both halves in one file under the data dir (API and vault share it). */
export function embeddedTokenKeyFile(dataDir: string): string {
  return join(dataDir, "service-token.json");
}

/** The embedded default: one key pair in a 0600 file under the data dir, made on first use. */
export async function loadOrCreateTokenKeyPair(path: string): Promise<TokenKeyPair> {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const pair = await generateTokenKeyPair();
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify(pair));
      closeSync(fd);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  chmodSync(path, 0o600);
  return JSON.parse(readFileSync(path, "utf8")) as TokenKeyPair;
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
export async function createTokenVerifier(publicJwk: JWK): Promise<TokenVerifier> {
  const key = (await importJWK(publicJwk, ALG)) as CryptoKey;
  return async function verifyToken(token) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALG],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        maxTokenAge: TOKEN_MAX_AGE_SECONDS,
        requiredClaims: ["iat", "exp"],
      });
      return payload.exp! - payload.iat! <= TOKEN_MAX_AGE_SECONDS;
    } catch {
      return false;
    }
  };
}
