import type { OperationExamples } from "./examples.ts";

/** keys.exportKey and escrow.* of both versions (one definition each: src/api/operations/). */
const keyId = "key_1Ghu6X3CyQqZpHcnh7Zy6N";
const escrowKeyId = "esc_1Ghu6Z8pQ2wErTy5UiOp3a";
/** A real P-256 public key (the app checks the point is on the curve). */
const targetPublicKey = { kty: "EC", crv: "P-256", x: "YN_XYkLPjq29EKpGoD-X8TRn1deuwfTLYY-SrW94kRI", y: "ONdq_rx_vVD5dGAgR7W5sidbHT5UsMUG6M2IcDaQEms" };
const publicKey = { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" };
const exportBundle =
  "eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00iLCJlcGsiOnsia3R5IjoiRUMiLCJjcnYiOiJQLTI1NiJ9fQ.3m9Jq3c2kQy6p0XwU1Z5fN8rT2v7bH4k.k9Fq2WmZ3xQ1rT8y.Zm9yIGV4YW1wbGUgb25seQ.u1Vq3b8Xn2Kp9Tz4Lm6Rcw";
const escrowKey = { escrowKeyId, name: "backup-encryption", publicKey, createdAt: 1767225600000 };

export const escrowExamples: Record<string, OperationExamples> = {
  "keys.exportKey": { request: { keyId, targetPublicKey }, response: { keyId, exportBundle } },
  "v2.keys.exportKey": { request: { keyId, targetPublicKey }, response: { keyId, exportBundle } },
  "escrow.createKey": { request: { name: "backup-encryption" }, response: { escrowKeyId, publicKey } },
  "v2.escrow.createKey": { request: { name: "backup-encryption" }, response: { escrowKeyId, publicKey } },
  "escrow.getKey": { request: { escrowKeyId }, response: escrowKey },
  "v2.escrow.getKey": { request: { escrowKeyId }, response: escrowKey },
  "escrow.listKeys": { request: { limit: "50" }, response: { escrowKeys: [escrowKey] } },
  "v2.escrow.listKeys": { request: { limit: 50 }, response: [escrowKey], pagination: { hasMore: false } },
  "escrow.deleteKey": { request: { escrowKeyId }, response: {} },
  "v2.escrow.deleteKey": { request: { escrowKeyId }, response: {} },
  "escrow.exportKey": { request: { escrowKeyId, targetPublicKey }, response: { escrowKeyId, exportBundle } },
  "v2.escrow.exportKey": { request: { escrowKeyId, targetPublicKey }, response: { escrowKeyId, exportBundle } },
};
