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
 * secret: the plaintext credential it authenticated with (a root key, or a portal session's
 * access token), which the database never holds (only its hash).
 */
export interface ResultSeal {
  publicKey: JWK;
  /** base64url(AES-256-GCM(private JWK)) under HKDF(initiator's secret, activity id). */
  wrappedPrivateKey: string;
}

const ALG = "ECDH-ES+A256KW";
const ENC = "A256GCM";

function wrappingKey(initiatorSecret: string, activityId: string): ReturnType<typeof aes256gcm> {
  return aes256gcm(hkdf(sha256, utf8ToBytes(initiatorSecret), utf8ToBytes(activityId), utf8ToBytes("keyhold activity result seal v1"), 32));
}

export async function newResultSeal(initiatorSecret: string, activityId: string): Promise<ResultSeal> {
  const { publicKey, privateKey } = await generateKeyPair("ECDH-ES+A256KW", { crv: "P-256", extractable: true });
  const privateJwk = utf8ToBytes(JSON.stringify(await exportJWK(privateKey)));
  const wrapped = wrappingKey(initiatorSecret, activityId).encrypt(privateJwk, utf8ToBytes(activityId));
  return { publicKey: await exportJWK(publicKey), wrappedPrivateKey: Buffer.from(wrapped).toString("base64url") };
}

/** The answer, sealed to the activity's public key. */
export async function sealResult(publicKey: JWK, result: unknown): Promise<string> {
  const key = await importJWK(publicKey, ALG);
  return new CompactEncrypt(utf8ToBytes(JSON.stringify(result))).setProtectedHeader({ alg: ALG, enc: ENC }).encrypt(key);
}

/** Opens a sealed answer with the initiator's secret; null if that is not the secret it was sealed for. */
export async function openResult(initiatorSecret: string, activityId: string, wrappedPrivateKey: string, sealed: string): Promise<unknown | null> {
  let privateJwk: JWK;
  try {
    const bytes = wrappingKey(initiatorSecret, activityId).decrypt(Buffer.from(wrappedPrivateKey, "base64url"), utf8ToBytes(activityId));
    privateJwk = JSON.parse(new TextDecoder().decode(bytes)) as JWK;
  } catch {
    return null; // another secret: it derives another wrapping key
  }
  const { plaintext } = await compactDecrypt(sealed, await importJWK(privateJwk, ALG));
  return JSON.parse(new TextDecoder().decode(plaintext));
}
