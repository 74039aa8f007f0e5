import { expect, test } from "vitest";
import { createTokenSigner, createTokenVerifier, generateTokenKeyPair } from "./service-token-jwt.ts";
import { tamperTail } from "../../test/tamper.ts";

test("an accepted token stays accepted only until its own expiry, cached or not", async () => {
  const pair = await generateTokenKeyPair();
  let now = Date.UTC(2026, 10, 28, 12);
  const sign = await createTokenSigner(pair.privateJwk, () => now);
  const verify = await createTokenVerifier(pair.publicJwk, () => now);
  const token = await sign();
  expect(await verify(token)).toBe(true);
  now += 59_000;
  expect(await verify(token)).toBe(true); // served from the cache of accepted tokens
  now += 2_000;
  expect(await verify(token)).toBe(false); // past exp: the cache does not extend a token's life
  const other = await generateTokenKeyPair();
  const forged = await (await createTokenSigner(other.privateJwk, () => now))();
  expect(await verify(forged)).toBe(false);
  expect(await verify(tamperTail(token, 2))).toBe(false);
});
