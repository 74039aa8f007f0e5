import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { createSealedKeyPair, exportSealed } from "../key-pairs.ts";
import type { Keyrings } from "../keyrings.ts";
import { type VaultEnv, context, encrypted, keyring, post, purpose } from "./route-kit.ts";

/** Checked in full by parseTargetKey (no `d`, a point on the curve): a refusal is 400. */
const targetPublicKey = z.looseObject({ kty: z.literal("EC"), crv: z.literal("P-256"), x: z.string(), y: z.string() });
const publicKey = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), x: z.string(), y: z.string() });

const createKeyPairRoute = post(
  "/vault.v1/createKeyPair",
  z.object({ keyring, context }),
  z.object({ publicKey, encrypted: z.string(), keyId: z.string() }),
  "Makes a P-256 key pair; answers its public JWK and its private JWK sealed with the keyring's current DEK, bound to `context` as a key pair (`decrypt` refuses it).",
);
const exportToRoute = post(
  "/vault.v1/exportTo",
  z.object({ keyring, encrypted, context, purpose, targetPublicKey }),
  z.object({ exportBundle: z.string() }),
  "Opens a ciphertext (a sealed value, or a private key from createKeyPair) and answers it only as a compact JWE (ECDH-ES+A256KW, A256GCM) to `targetPublicKey`.",
);

/** Key pairs and exports: what leaves these routes is public, sealed, or sealed to the caller's key. */
export function registerKeyPairRoutes(app: OpenAPIHono<VaultEnv>, keyrings: Keyrings): void {
  app.openapi(createKeyPairRoute, async (c) => {
    const b = c.req.valid("json");
    const pair = await createSealedKeyPair(keyrings, b.keyring, b.context);
    return c.json({ publicKey: pair.publicKey, encrypted: pair.encrypted, keyId: pair.dekId }, 200);
  });
  app.openapi(exportToRoute, async (c) => c.json({ exportBundle: await exportSealed(keyrings, c.req.valid("json")) }, 200));
}
