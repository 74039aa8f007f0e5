import { afterAll, beforeAll, expect, test } from "vitest";
import { openBundle, targetKey } from "../jwe-target.ts";
import { TestVault } from "../vault-harness.ts";
import { createTokenSigner } from "../../src/crypto/service-token.ts";

/**
 * The vault's createKeyPair and exportTo over HTTP, as the API calls them: the private key
 * leaves only sealed to the caller's key, the target is checked by the vault too, and both
 * routes need the API's service token.
 */
let tv: TestVault;
let token: () => Promise<string>;
beforeAll(async () => {
  tv = await TestVault.start();
  token = await createTokenSigner(tv.tokenKeys.privateJwk);
});
afterAll(() => tv?.destroy());

const post = async (path: string, body: unknown, auth = true) => {
  const res = await fetch(`${tv.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(auth && { Authorization: `Bearer ${await token()}` }) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};

test("createKeyPair answers a public JWK and a ciphertext; exportTo seals the private JWK to the target", async () => {
  const made = await post("/vault.v1/createKeyPair", { keyring: "ws_pairs", context: "esc_1" });
  expect(made.status).toBe(200);
  expect(Object.keys(made.body).sort()).toEqual(["encrypted", "keyId", "publicKey"]);
  expect(made.body.encrypted).toMatch(/^v1\.dek_/);
  const target = await targetKey();
  const exported = await post("/vault.v1/exportTo", { keyring: "ws_pairs", encrypted: made.body.encrypted, context: "esc_1", purpose: "keyPair", targetPublicKey: target.publicJwk });
  expect(exported.status).toBe(200);
  const privateJwk = JSON.parse(await openBundle(exported.body.exportBundle, target.privateKey));
  expect(privateJwk).toEqual({ ...made.body.publicKey, d: expect.any(String) });
  // Each pair is new.
  const again = await post("/vault.v1/createKeyPair", { keyring: "ws_pairs", context: "esc_2" });
  expect(again.body.publicKey.x).not.toBe(made.body.publicKey.x);
});

test("the vault refuses, by itself, a target that is private, off the curve or of another curve, and another context", async () => {
  const made = await post("/vault.v1/createKeyPair", { keyring: "ws_pairs", context: "esc_1" });
  const target = await targetKey();
  const pub = target.publicJwk as { x: string; y: string };
  for (const targetPublicKey of [target.privateJwk, { ...target.publicJwk, y: pub.x }, { ...target.publicJwk, crv: "P-384" }, { kty: "oct", k: "AAAA" }]) {
    const res = await post("/vault.v1/exportTo", { keyring: "ws_pairs", encrypted: made.body.encrypted, context: "esc_1", purpose: "keyPair", targetPublicKey });
    expect(res.status, JSON.stringify(targetPublicKey)).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain((target.privateJwk as { d: string }).d);
  }
  const moved = await post("/vault.v1/exportTo", { keyring: "ws_pairs", encrypted: made.body.encrypted, context: "esc_2", purpose: "keyPair", targetPublicKey: target.publicJwk });
  expect(moved.status).toBe(400);
  const asValue = await post("/vault.v1/decrypt", { keyring: "ws_pairs", encrypted: made.body.encrypted, context: "esc_1" });
  expect(asValue.status).toBe(400);
});

test("both routes need the service token", async () => {
  expect((await post("/vault.v1/createKeyPair", { keyring: "ws_pairs", context: "esc_1" }, false)).status).toBe(401);
  expect((await post("/vault.v1/exportTo", {}, false)).status).toBe(401);
});
