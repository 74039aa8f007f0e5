import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { CompactEncrypt, compactDecrypt, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { aes256gcm } from "../crypto/aes-gcm.ts";

/**
 * A waiting activity's answer may hold a secret (a created key, a decrypted one) and is made
 * when the last approver approves, long after the initiator's request. It must rest sealed so
 * that only the initiator can open it, and the database alone cannot: when the activity waits,
 * a P-256 pair is made; the answer is sealed to its public half (JWE, ECDH-ES+A256KW /
 * A256GCM) and its private half is kept wrapped under a key derived from the initiator's
 * plaintext root key, which the database never holds (only its hash).
 */
export interface ResultSeal {
  publicKey: JWK;
  /** base64url(AES-256-GCM(private JWK)) under HKDF(root key, activity id). */
  wrappedPrivateKey: string;
}

const ALG = "ECDH-ES+A256KW";
const ENC = "A256GCM";

function wrappingKey(rootKey: string, activityId: string): ReturnType<typeof aes256gcm> {
  return aes256gcm(hkdf(sha256, utf8ToBytes(rootKey), utf8ToBytes(activityId), utf8ToBytes("keyhold activity result seal v1"), 32));
}

export async function newResultSeal(rootKey: string, activityId: string): Promise<ResultSeal> {
  const { publicKey, privateKey } = await generateKeyPair("ECDH-ES+A256KW", { crv: "P-256", extractable: true });
  const privateJwk = utf8ToBytes(JSON.stringify(await exportJWK(privateKey)));
  const wrapped = wrappingKey(rootKey, activityId).encrypt(privateJwk, utf8ToBytes(activityId));
  return { publicKey: await exportJWK(publicKey), wrappedPrivateKey: Buffer.from(wrapped).toString("base64url") };
}

/** The answer, sealed to the activity's public key. */
export async function sealResult(publicKey: JWK, result: unknown): Promise<string> {
  const key = await importJWK(publicKey, ALG);
  return new CompactEncrypt(utf8ToBytes(JSON.stringify(result))).setProtectedHeader({ alg: ALG, enc: ENC }).encrypt(key);
}

/** Opens a sealed answer with the initiator's root key; null if that is not the key it was sealed for. */
export async function openResult(rootKey: string, activityId: string, wrappedPrivateKey: string, sealed: string): Promise<unknown | null> {
  let privateJwk: JWK;
  try {
    const bytes = wrappingKey(rootKey, activityId).decrypt(Buffer.from(wrappedPrivateKey, "base64url"), utf8ToBytes(activityId));
    privateJwk = JSON.parse(new TextDecoder().decode(bytes)) as JWK;
  } catch {
    return null; // another root key: it derives another wrapping key
  }
  const { plaintext } = await compactDecrypt(sealed, await importJWK(privateJwk, ALG));
  return JSON.parse(new TextDecoder().decode(plaintext));
}
