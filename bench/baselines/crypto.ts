import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { aes256gcm } from "../../src/crypto/aes-gcm.ts";

export interface CryptoResult {
  operation: "encrypt" | "decrypt";
  nobleOpsPerS: number;
  nodeOpsPerS: number;
}

/**
 * AES-256-GCM of a 64-byte value with associated data, in this process: Keyhold's
 * aes256gcm (@noble/ciphers, fresh random nonce per message) against node:crypto
 * (OpenSSL) doing the same work. Each side runs for `seconds` after a short warm-up.
 */
export function benchCrypto(seconds: number): CryptoResult[] {
  const key = randomBytes(32);
  const plaintext = randomBytes(64);
  const ad = new TextEncoder().encode("ws_benchworkspace/dek_benchdek/key_benchkey");
  const noble = aes256gcm(key);
  const nobleSealed = noble.encrypt(plaintext, ad);
  const nodeEncrypt = () => {
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    cipher.setAAD(ad);
    return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  };
  const nodeSealed = nodeEncrypt();
  const nodeDecrypt = () => {
    const decipher = createDecipheriv("aes-256-gcm", key, nodeSealed.subarray(0, 12));
    decipher.setAAD(ad);
    decipher.setAuthTag(nodeSealed.subarray(nodeSealed.length - 16));
    return Buffer.concat([decipher.update(nodeSealed.subarray(12, nodeSealed.length - 16)), decipher.final()]);
  };
  return [
    { operation: "encrypt", nobleOpsPerS: opsPerSecond(() => noble.encrypt(plaintext, ad), seconds), nodeOpsPerS: opsPerSecond(nodeEncrypt, seconds) },
    { operation: "decrypt", nobleOpsPerS: opsPerSecond(() => noble.decrypt(nobleSealed, ad), seconds), nodeOpsPerS: opsPerSecond(nodeDecrypt, seconds) },
  ];
}

function opsPerSecond(op: () => unknown, seconds: number): number {
  const run = (ms: number) => {
    let ops = 0;
    const started = performance.now();
    let now = started;
    while (now - started < ms) {
      for (let i = 0; i < 100; i++) op();
      ops += 100;
      now = performance.now();
    }
    return ops / ((now - started) / 1000);
  };
  run(Math.min(300, seconds * 250)); // warm-up: let the JIT settle
  return run(seconds * 1000);
}
