import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { workspaces } from "../../src/db/schema.ts";
import { ROOT_KEY_PREFIX, generateKey } from "../../src/keys/key-format.ts";
import { type Response, type Workspace, forEachDatabase } from "../harness.ts";
import { envelopeVersion, expectErrorEnvelope, withoutRequestId } from "../security/envelope.ts";
import { type Fixture, authRoutes, get, post, send } from "./auth-routes.ts";

/**
 * Point 6: every way a root key can be bad (missing, malformed, unknown, expired,
 * deleted, of a deleted workspace) answers the same 401, so a caller learns nothing
 * about which.
 */
forEachDatabase("adversarial 06: root key states", (h) => {
  let ws: Workspace;
  let f: Fixture;
  const badStates: [name: string, authorization: () => string | undefined][] = [];

  async function fixture(): Promise<Fixture> {
    const apiId = await h().createApi(ws, "states");
    const { keyId, key } = await h().createKey(ws, apiId, { prefix: "sk" });
    const { keyId: rootKeyId } = await h().rootKey(ws, ["api.*.read_key"]);
    return { apiId, keyId, key, rootKeyId };
  }

  beforeAll(async () => {
    ws = await h().workspace();
    f = await fixture();
    const expired = await h().rootKey(ws, ["*"], Date.now() - 1);
    const deleted = await h().rootKey(ws, ["*"]);
    const del = await h().post("/v1/rootKeys.deleteRootKey", { keyId: deleted.keyId }, ws.rootKey);
    expect(del.status).toBe(200);
    const unknown = generateKey({ prefix: ROOT_KEY_PREFIX, byteLength: 32 });
    const badChecksum = ws.rootKey.slice(0, -1) + (ws.rootKey.endsWith("z") ? "y" : "z");
    badStates.push(
      ["missing", () => undefined],
      ["empty header", () => ""],
      ["Bearer without a token", () => "Bearer "],
      ["malformed", () => "Bearer xyz"],
      ["not Bearer", () => `Basic ${Buffer.from(`u:${ws.rootKey}`).toString("base64")}`],
      ["token without scheme", () => ws.rootKey],
      ["two tokens", () => `Bearer ${ws.rootKey} ${ws.rootKey}`],
      ["unknown", () => `Bearer ${unknown}`],
      ["bad checksum", () => `Bearer ${badChecksum}`],
      ["truncated", () => `Bearer ${ws.rootKey.slice(0, -6)}`],
      ["expired", () => `Bearer ${expired.key}`],
      ["deleted", () => `Bearer ${deleted.key}`],
      ["an API key, not a root key", () => `Bearer ${f.key}`],
      ["the hash of the root key", () => `Bearer ${Buffer.from(ws.rootKey).toString("hex")}`],
      ["sql", () => "Bearer ' or 1=1 --"],
      ["very long", () => `Bearer kh_root_${"a".repeat(8000)}`],
    );
  });

  describe("bad root keys", () => {
    test.each(authRoutes.filter((r) => r.name !== "keys.verifyKey with a root key").map((r) => [r.name, r] as const))(
      "%s: every bad root key gets the same 401",
      async (_, route) => {
        const before = await h().snapshot();
        let first: Response | undefined;
        for (const [state, authorization] of badStates) {
          const res = await send(h(), route.call(f), authorization());
          expectErrorEnvelope(res, "UNAUTHORIZED", `${route.name} with ${state}`);
          first ??= res;
          expect(withoutRequestId(res.body), `${route.name} with ${state}`).toEqual(withoutRequestId(first.body));
        }
        expect(await h().snapshot()).toEqual(before);
      },
    );

    test("a root key of a deleted workspace gets the same 401 on every route, and verifyKey ignores it", async () => {
      const doomed = await h().workspace();
      const apiId = await h().createApi(doomed, "doomed");
      const { keyId, key } = await h().createKey(doomed, apiId);
      const { keyId: rootKeyId } = await h().rootKey(doomed, ["api.*.read_key"]);
      const own: Fixture = { apiId, keyId, key, rootKeyId };
      await h().db.update(workspaces).set({ deletedAt: Date.now() }).where(eq(workspaces.id, doomed.workspaceId));
      const reference = {
        v1: await send(h(), get("/v1/apis.getApi", { apiId: f.apiId }), "Bearer xyz"),
        v2: await send(h(), post("/v2/apis.getApi", { apiId: f.apiId }), "Bearer xyz"),
      };
      const before = await h().snapshot();
      for (const route of authRoutes.filter((r) => r.name !== "keys.verifyKey with a root key")) {
        const res = await send(h(), route.call(own), `Bearer ${doomed.rootKey}`);
        expectErrorEnvelope(res, "UNAUTHORIZED", route.name);
        expect(withoutRequestId(res.body), route.name).toEqual(withoutRequestId(reference[envelopeVersion(res.body)].body));
      }
      // Its keys are gone with it: verify says NOT_FOUND, with or without its root key.
      expect((await h().verify(key)).body.code).toBe("NOT_FOUND");
      expect((await h().post("/v1/keys.verifyKey", { key }, doomed.rootKey)).body.code).toBe("NOT_FOUND");
      expect(await h().snapshot()).toEqual(before);
    });

    test("the 401 is the same on every route (one body per API version)", async () => {
      const bodies = { v1: new Set<string>(), v2: new Set<string>() };
      for (const route of authRoutes.filter((r) => r.name !== "keys.verifyKey with a root key")) {
        const res = await send(h(), route.call(f), "Bearer xyz");
        bodies[envelopeVersion(res.body)].add(JSON.stringify(withoutRequestId(res.body)));
      }
      expect([...bodies.v1]).toHaveLength(1);
      expect([...bodies.v2]).toHaveLength(1);
    });

    test("verifyKey ignores a bad root key: the verdict is the one without any", async () => {
      const before = await h().snapshot();
      const open = await send(h(), post("/v1/keys.verifyKey", { key: f.key }), undefined);
      expect(open.body).toMatchObject({ valid: true, code: "VALID", keyId: f.keyId });
      for (const [state, authorization] of badStates) {
        const res = await send(h(), post("/v1/keys.verifyKey", { key: f.key }), authorization());
        expect(res.status, state).toBe(200);
        expect(withoutRequestId(res.body), state).toEqual(withoutRequestId(open.body));
      }
      // Unkey's SDK helper sends `Bearer public`.
      const sdk = await send(h(), post("/v1/keys.verifyKey", { key: f.key }), "Bearer public");
      expect(withoutRequestId(sdk.body)).toEqual(withoutRequestId(open.body));
      expect(await h().snapshot()).toEqual(before);
    });

    test("a root key is refused from the moment it expires or is deleted", async () => {
      const soon = await h().rootKey(ws, ["*"], Date.now() + 400);
      expect((await send(h(), get("/v1/apis.getApi", { apiId: f.apiId }), `Bearer ${soon.key}`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
      expectErrorEnvelope(await send(h(), get("/v1/apis.getApi", { apiId: f.apiId }), `Bearer ${soon.key}`), "UNAUTHORIZED");

      const doomed = await h().rootKey(ws, ["*"]);
      expect((await send(h(), get("/v1/apis.getApi", { apiId: f.apiId }), `Bearer ${doomed.key}`)).status).toBe(200);
      // A root key may delete itself; it is refused at once afterwards.
      expect((await h().post("/v1/rootKeys.deleteRootKey", { keyId: doomed.keyId }, doomed.key)).status).toBe(200);
      expectErrorEnvelope(await send(h(), get("/v1/apis.getApi", { apiId: f.apiId }), `Bearer ${doomed.key}`), "UNAUTHORIZED");
      // Deleting it again: it is gone, whoever asks.
      expectErrorEnvelope(await h().post("/v1/rootKeys.deleteRootKey", { keyId: doomed.keyId }, ws.rootKey), "NOT_FOUND");
    });
  });

});
