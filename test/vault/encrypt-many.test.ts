import { afterAll, beforeAll, expect, test } from "vitest";
import { createTokenSigner } from "../../src/crypto/service-token.ts";
import { createHttpVaultClient } from "../../src/vault-client/http-vault-client.ts";
import { nodeHttpTransport } from "../../src/vault-client/node-http-transport.ts";
import type { VaultTransport } from "../../src/vault-client/http-vault-client.ts";
import { TestVault } from "../vault-harness.ts";

/**
 * The encryptions of concurrent createKey calls reach the vault together (/vault.v1/encryptMany):
 * one request, one token check, each value sealed with its own keyring and context.
 */
let tv: TestVault;
beforeAll(async () => {
  tv = await TestVault.start();
});
afterAll(() => tv.destroy());

/** A client of the test vault that records the path of every request it sends. */
async function recordingClient() {
  const paths: string[] = [];
  const transport = nodeHttpTransport();
  const fetch: VaultTransport = (url, init) => {
    paths.push(new URL(url).pathname);
    return transport(url, init);
  };
  const client = createHttpVaultClient({ url: tv.url, signToken: await createTokenSigner(tv.tokenKeys.privateJwk), timeoutMs: 2000, fetch });
  return { client, paths };
}

test("encryptions asked for in one turn go in one encryptMany call; each opens only with its own keyring and context", async () => {
  const { client, paths } = await recordingClient();
  const asked = Array.from({ length: 12 }, (_, i) => ({ keyring: i % 2 ? "ws_even" : "ws_odd", data: `secret-${i}`, context: `key_${i}` }));
  const sealed = await Promise.all(asked.map((input) => client.encrypt(input)));
  expect(paths).toEqual(["/vault.v1/encryptMany"]);
  expect(new Set(sealed.map((s) => s.encrypted)).size).toBe(12);
  for (const [i, s] of sealed.entries()) {
    const { keyring, data, context } = asked[i]!;
    expect(await client.decrypt({ keyring, encrypted: s.encrypted, context })).toBe(data);
    expect(s.keyId).toBe((await client.describeKeyring(keyring))!.primary);
    // Bound to its keyring and its context: another key's row or workspace does not open it.
    await expect(client.decrypt({ keyring, encrypted: s.encrypted, context: "key_other" })).rejects.toThrow(/could not be decrypted/);
    await expect(client.decrypt({ keyring: i % 2 ? "ws_odd" : "ws_even", encrypted: s.encrypted, context })).rejects.toThrow(/could not be decrypted/);
  }
  // A lone encryption is the plain call.
  paths.length = 0;
  await client.encrypt({ keyring: "ws_odd", data: "alone", context: "key_alone" });
  expect(paths).toEqual(["/vault.v1/encrypt"]);
});

test("a vault that is down fails every caller of the batch with 503, after one attempt", async () => {
  const { client, paths } = await recordingClient();
  await tv.stop();
  try {
    const settled = await Promise.allSettled([1, 2, 3].map((i) => client.encrypt({ keyring: "ws_odd", data: `s${i}`, context: `k${i}` })));
    expect(settled.map((s) => s.status === "rejected" && (s.reason as { code: string }).code)).toEqual(["SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE"]);
    expect(paths).toEqual(["/vault.v1/encryptMany"]);
  } finally {
    await tv.start();
  }
});

test("encryptMany refuses a bad item, an empty list, more than 100 items and a missing token, with the error envelope", async () => {
  const token = await (await createTokenSigner(tv.tokenKeys.privateJwk))();
  const post = async (body: unknown, auth = `Bearer ${token}`) => {
    const res = await fetch(`${tv.url}/vault.v1/encryptMany`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: auth }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  };
  const item = { keyring: "ws_odd", data: "x", context: "k" };
  for (const [body, field] of [
    [{ items: [item, { ...item, keyring: "not a keyring" }] }, "items.1.keyring"],
    [{ items: [item, { ...item, data: "" }] }, "items.1.data"],
    [{ items: [] }, "items"],
    [{ items: Array.from({ length: 101 }, () => item) }, "items"],
  ] as const) {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining(field) });
  }
  expect((await post({ items: [item] }, "Bearer nope")).status).toBe(401);
  const ok = await post({ items: [item, item] });
  expect(ok.status).toBe(200);
  expect((ok.body as unknown as { items: unknown[] }).items).toHaveLength(2);
});
