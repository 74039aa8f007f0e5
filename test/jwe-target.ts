import { CompactEncrypt, type CryptoKey, type JWK, compactDecrypt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK } from "jose";

/** A caller's P-256 key pair for exports: the public JWK it sends, the private key it opens bundles with. */
export interface TargetKey {
  publicJwk: JWK;
  privateKey: CryptoKey;
  privateJwk: JWK;
}

export async function targetKey(): Promise<TargetKey> {
  const pair = await generateKeyPair("ECDH-ES+A256KW", { crv: "P-256", extractable: true });
  return { publicJwk: await exportJWK(pair.publicKey), privateKey: pair.privateKey, privateJwk: await exportJWK(pair.privateKey) };
}

/** The bundle's plaintext as text; throws if `key` is not the one it was sealed to. */
export async function openBundle(bundle: string, key: CryptoKey | JWK): Promise<string> {
  const privateKey = "kty" in key ? await importJWK(key, "ECDH-ES+A256KW") : key;
  return new TextDecoder().decode((await compactDecrypt(bundle, privateKey)).plaintext);
}

/** What a caller does with an escrow public key: encrypt its own data to it, as a JWE. */
export async function sealTo(publicJwk: JWK, data: string): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(data)).setProtectedHeader({ alg: "ECDH-ES+A256KW", enc: "A256GCM" }).encrypt(await importJWK(publicJwk, "ECDH-ES+A256KW"));
}

export { decodeProtectedHeader };
