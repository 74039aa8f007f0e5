import { expect, test } from "vitest";
import { KeyholdError } from "../../src/errors.ts";
import { createHttpVaultClient } from "../../src/vault-client/http-vault-client.ts";

/** A vault that refuses everything with a 400 envelope, as it does a bad ciphertext. */
const refusing = createHttpVaultClient({
  url: "http://vault.test",
  signToken: async () => "token",
  fetch: async () => ({ ok: false, status: 400, json: async () => ({ error: { code: "BAD_REQUEST", message: "no" } }) }),
});

async function failure(promise: Promise<unknown>): Promise<KeyholdError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(KeyholdError);
  return error as KeyholdError;
}

test("a refused decryption is reported as a bad stored ciphertext; a refused encryption as an unavailable vault", async () => {
  const decrypt = await failure(refusing.decrypt({ keyring: "ws_a", encrypted: "v1.x.y", context: "key_a" }));
  expect(decrypt.code).toBe("INTERNAL_SERVER_ERROR");
  expect(decrypt.message).toMatch(/could not be decrypted/);
  const encrypt = await failure(refusing.encrypt({ keyring: "ws_a", data: "sk_x", context: "key_a" }));
  expect(encrypt.code).toBe("SERVICE_UNAVAILABLE");
  expect(encrypt.message).not.toMatch(/decrypted/);
});

test("a refused export is a bad stored ciphertext; a refused key pair an unavailable vault", async () => {
  const target = { kty: "EC", crv: "P-256", x: "x", y: "y" } as const;
  const exported = await failure(refusing.exportTo({ keyring: "ws_a", encrypted: "v1.x.y", context: "esc_a", purpose: "keyPair", targetPublicKey: target }));
  expect(exported.code).toBe("INTERNAL_SERVER_ERROR");
  expect(exported.message).toMatch(/could not be decrypted/);
  const pair = await failure(refusing.createKeyPair({ keyring: "ws_a", context: "esc_a" }));
  expect(pair.code).toBe("SERVICE_UNAVAILABLE");
});
