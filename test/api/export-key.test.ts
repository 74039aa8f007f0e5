import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { keys } from "../../src/db/schema.ts";
import { createTokenSigner } from "../../src/crypto/service-token.ts";
import { newId } from "../../src/ids.ts";
import { createHttpVaultClient } from "../../src/vault-client/http-vault-client.ts";
import { nodeHttpTransport } from "../../src/vault-client/node-http-transport.ts";
import { type Harness, databaseKinds, forEachDatabase, openHarness } from "../harness.ts";
import { decodeProtectedHeader, openBundle, targetKey } from "../jwe-target.ts";
import { expectErrorEnvelope, withoutRequestId } from "../security/envelope.ts";
import { TestVault } from "../vault-harness.ts";
import { expectError } from "./expect-error.ts";

/** keys.exportKey: a recoverable key's plaintext as a JWE to the caller's P-256 key, in both versions. */
const versions = [
  { name: "v1", call: (h: Harness, body: object, token: string) => h.post("/v1/keys.exportKey", body, token), data: (b: any) => b },
  { name: "v2", call: (h: Harness, body: object, token: string) => h.post("/v2/keys.exportKey", body, token), data: (b: any) => b.data },
] as const;

forEachDatabase(
  "keys.exportKey",
  (h) => {
    test.each(versions)("$name: the bundle opens with the target's private key and gives exactly the key; another private key fails", async (v) => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      const { keyId, key } = await h().createKey(ws, apiId, { recoverable: true, prefix: "sk" });
      const target = await targetKey();
      const res = await v.call(h(), { keyId, targetPublicKey: target.publicJwk }, ws.rootKey);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const { exportBundle, ...rest } = v.data(res.body);
      expect(rest).toEqual({ keyId });
      expect(exportBundle.split(".")).toHaveLength(5); // compact JWE
      expect(decodeProtectedHeader(exportBundle)).toMatchObject({ alg: "ECDH-ES+A256KW", enc: "A256GCM" });
      expect(JSON.stringify(res.body)).not.toContain(key);
      expect(await openBundle(exportBundle, target.privateKey)).toBe(key);
      await expect(openBundle(exportBundle, (await targetKey()).privateKey)).rejects.toThrow();
      // Extra public members (kid, use) are ignored, not refused.
      const withKid = await v.call(h(), { keyId, targetPublicKey: { ...target.publicJwk, kid: "mine", use: "enc" } }, ws.rootKey);
      expect(await openBundle(v.data(withKid.body).exportBundle, target.privateKey)).toBe(key);
    });

    test.each(versions)("$name: a target that is not a public P-256 JWK is 400", async (v) => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      const { keyId } = await h().createKey(ws, apiId, { recoverable: true });
      const target = await targetKey();
      const pub = target.publicJwk as { x: string; y: string };
      const flip = (s: string) => `${s.slice(0, 20)}${s[20] === "A" ? "B" : "A"}${s.slice(21)}`;
      const bad: [string, unknown][] = [
        ["a private JWK (with d)", target.privateJwk],
        ["a point not on the curve", { ...target.publicJwk, x: flip(pub.x) }],
        ["y missing", { kty: "EC", crv: "P-256", x: pub.x }],
        ["P-384", { ...target.publicJwk, crv: "P-384" }],
        ["RSA", { kty: "RSA", n: "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", e: "AQAB" }],
        ["a symmetric key", { kty: "oct", k: "GawgguFyGrWKav7AX4VKUg" }],
        ["x of the wrong length", { ...target.publicJwk, x: pub.x.slice(1) }],
        ["not an object", "not a key"],
        ["missing", undefined],
      ];
      for (const [label, targetPublicKey] of bad) {
        const res = await v.call(h(), { keyId, targetPublicKey }, ws.rootKey);
        expectErrorEnvelope(res, "BAD_REQUEST", label);
        expect(JSON.stringify(res.body), label).not.toContain((target.privateJwk as { d: string }).d);
      }
    });

    test.each(versions)("$name: a key that is not recoverable is 412", async (v) => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      const { keyId } = await h().createKey(ws, apiId);
      const res = await v.call(h(), { keyId, targetPublicKey: (await targetKey()).publicJwk }, ws.rootKey);
      expectErrorEnvelope(res, "PRECONDITION_FAILED");
    });

    test.each(versions)("$name: export_key is needed, for this API or all; decrypt_key is not enough", async (v) => {
      const ws = await h().workspace();
      const apiId = await h().recoverableApi(ws);
      const otherApi = await h().createApi(ws);
      const { keyId, key } = await h().createKey(ws, apiId, { recoverable: true });
      const target = await targetKey();
      const as = async (permissions: string[]) => v.call(h(), { keyId, targetPublicKey: target.publicJwk }, (await h().rootKey(ws, permissions)).key);
      for (const permissions of [["api.*.read_key", "api.*.decrypt_key"], [`api.${otherApi}.export_key`], []]) {
        const res = await as(permissions);
        expectErrorEnvelope(res, "INSUFFICIENT_PERMISSIONS", permissions.join());
        expect(JSON.stringify(res.body)).toContain(`api.${apiId}.export_key`);
      }
      for (const permissions of [[`api.${apiId}.export_key`], ["api.*.export_key"], ["*"]]) {
        const res = await as(permissions);
        expect(res.status, permissions.join()).toBe(200);
        expect(await openBundle(v.data(res.body).exportBundle, target.privateKey)).toBe(key);
      }
    });

    test.each(versions)("$name: another workspace's key, a deleted key and a missing one answer alike (404)", async (v) => {
      const a = await h().workspace();
      const b = await h().workspace();
      const apiId = await h().recoverableApi(a);
      const { keyId } = await h().createKey(a, apiId, { recoverable: true });
      const doomed = await h().createKey(a, apiId, { recoverable: true });
      expect((await h().post("/v1/keys.deleteKey", { keyId: doomed.keyId }, a.rootKey)).status).toBe(200);
      const targetPublicKey = (await targetKey()).publicJwk;
      const foreign = await v.call(h(), { keyId, targetPublicKey }, b.rootKey);
      const missing = await v.call(h(), { keyId: newId("key"), targetPublicKey }, b.rootKey);
      const deleted = await v.call(h(), { keyId: doomed.keyId, targetPublicKey }, a.rootKey);
      for (const res of [foreign, missing, deleted]) expectErrorEnvelope(res, "NOT_FOUND");
      const comparable = (body: any) => (body.meta ? { ...body, meta: null } : withoutRequestId(body));
      expect(comparable(foreign.body)).toEqual(comparable(missing.body));
      expect(comparable(deleted.body)).toEqual(comparable(missing.body));
    });
  },
  { vault: true },
);

forEachDatabase("keys.exportKey without a vault", (h) => {
  test("a recoverable key cannot be exported without the vault: 503, never the key", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    // A key row with a ciphertext, as a vault would have left it.
    const { keyId } = await h().createKey(ws, apiId);
    await h().db.update(keys).set({ encrypted: "v1.dek_1111111111111111111111.AAAA" }).where(eq(keys.id, keyId));
    const res = await h().post("/v1/keys.exportKey", { keyId, targetPublicKey: (await targetKey()).publicJwk }, ws.rootKey);
    expectError(res, 503, "SERVICE_UNAVAILABLE");
  });
});

for (const kind of databaseKinds()) {
  describe(`keys.exportKey: what crosses the API↔vault wire [${kind}]`, () => {
    let tv: TestVault;
    let h: Harness;
    const answers: string[] = [];
    beforeAll(async () => {
      tv = await TestVault.start();
      const transport = nodeHttpTransport();
      // Every answer of the vault, as text: what an eavesdropper on the service link would read.
      const recording: typeof transport = async (url, init) => {
        const res = await transport(url, init);
        const body = await res.json();
        answers.push(JSON.stringify(body));
        return { ok: res.ok, status: res.status, json: async () => body };
      };
      h = await openHarness(kind, { vault: createHttpVaultClient({ url: tv.url, signToken: await createTokenSigner(tv.tokenKeys.privateJwk), fetch: recording }) });
    });
    afterAll(async () => {
      await h?.close();
      await tv?.destroy();
    });

    test("the vault answers the export only as the JWE: the plaintext key is in no answer the API received", async () => {
      const ws = await h.workspace();
      const apiId = await h.recoverableApi(ws);
      const { keyId, key } = await h.createKey(ws, apiId, { recoverable: true, prefix: "sk" });
      answers.length = 0;
      const target = await targetKey();
      const res = await h.post("/v2/keys.exportKey", { keyId, targetPublicKey: target.publicJwk }, ws.rootKey);
      expect(res.status).toBe(200);
      expect(answers).toHaveLength(1);
      expect(answers[0]).toBe(JSON.stringify({ exportBundle: res.body.data.exportBundle }));
      expect(answers.join()).not.toContain(key);
      expect(await openBundle(res.body.data.exportBundle, target.privateKey)).toBe(key);
    });
  });
}
