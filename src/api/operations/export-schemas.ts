import { z } from "@hono/zod-openapi";
import { id, text } from "../routes/schemas.ts";
import { MAX_LIST_LIMIT } from "../../paging.ts";

/** What the export and escrow operations share: key shapes, the bundle, an escrow key's view. */

const coordinate = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "a P-256 coordinate: 43 base64url characters");

/**
 * Shape only; the point is checked on the curve by the service (400 either way). Extra JWK
 * members (`kid`, `use`, …) are ignored, but a private `d` is refused, never silently dropped.
 */
export const targetPublicKey = z
  .looseObject({ kty: z.literal("EC"), crv: z.literal("P-256"), x: coordinate, y: coordinate })
  .refine((jwk) => !("d" in jwk), { message: "must be a public JWK: never send the private key (`d`)", path: ["d"] })
  .openapi({
    description: "The P-256 public key (JWK) the export is sealed to; only its private key opens the bundle.",
    example: { kty: "EC", crv: "P-256", x: "YN_XYkLPjq29EKpGoD-X8TRn1deuwfTLYY-SrW94kRI", y: "ONdq_rx_vVD5dGAgR7W5sidbHT5UsMUG6M2IcDaQEms" },
  });

export const publicKey = z
  .object({ kty: z.literal("EC"), crv: z.literal("P-256"), x: z.string(), y: z.string() })
  .openapi("P256PublicJwk", { description: "A P-256 public key as a JWK." });

export const exportBundle = z.string().openapi({
  description: "A compact JWE (alg ECDH-ES+A256KW, enc A256GCM) to `targetPublicKey`, made inside the vault: open it with jose's `compactDecrypt` and the target's private key.",
  example: "eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00iLCJlcGsiOnsi…",
});

export const escrowKeyId = id("esc_1234");
export const escrowKeyName = text(255).openapi({ example: "backup-encryption" });

export const escrowKeyView = z
  .object({ escrowKeyId: z.string(), name: z.string(), publicKey, createdAt: z.number().int() })
  .openapi("EscrowKey");

export const listLimit = z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).optional();
