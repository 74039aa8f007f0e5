import { beforeAll, describe, expect, test } from "vitest";
import { ROOT_KEY_PREFIX, generateKey } from "../../src/keys/key-format.ts";
import { type Harness, type Response, type Workspace, forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope, withoutRequestId } from "./envelope.ts";

/**
 * Every way a root key can be bad answers the same 401, so a caller learns nothing about
 * which; a good key without the permission gets a 403 naming the permission; per-API
 * permissions reach exactly their API.
 */

interface Fixture {
  apiId: string;
  keyId: string;
  key: string;
  rootKeyId: string;
}

interface Call {
  method: "GET" | "POST";
  path: string;
  input: Record<string, unknown>;
}

interface AuthRoute {
  name: string;
  call: (f: Fixture) => Call;
  /** The actions it needs (api.*.<action> or, for rbac.*, the full permission), the last one named when missing. */
  needs: string[];
  /** Whether a key holding exactly `needs` succeeds here (false where more than permissions is needed). */
  control?: false;
}

const get = (path: string, input: Record<string, unknown>): Call => ({ method: "GET", path, input });
const post = (path: string, input: Record<string, unknown>): Call => ({ method: "POST", path, input });

const authRoutes: AuthRoute[] = [
  { name: "apis.createApi", call: () => post("/v1/apis.createApi", { name: "n" }), needs: ["create_api"] },
  { name: "apis.getApi", call: (f) => get("/v1/apis.getApi", { apiId: f.apiId }), needs: ["read_api"] },
  { name: "apis.updateApi", call: (f) => post("/v1/apis.updateApi", { apiId: f.apiId, name: "renamed" }), needs: ["update_api"] },
  { name: "apis.deleteApi", call: (f) => post("/v1/apis.deleteApi", { apiId: f.apiId }), needs: ["delete_api"] },
  { name: "apis.listKeys", call: (f) => get("/v1/apis.listKeys", { apiId: f.apiId }), needs: ["read_key"] },
  { name: "apis.listKeys decrypt", call: (f) => get("/v1/apis.listKeys", { apiId: f.apiId, decrypt: true }), needs: ["read_key", "decrypt_key"] },
  { name: "apis.deleteKeys", call: (f) => post("/v1/apis.deleteKeys", { apiId: f.apiId }), needs: ["delete_key"] },
  { name: "keys.createKey", call: (f) => post("/v1/keys.createKey", { apiId: f.apiId }), needs: ["create_key"] },
  {
    name: "keys.createKey recoverable",
    call: (f) => post("/v1/keys.createKey", { apiId: f.apiId, recoverable: true }),
    needs: ["create_key", "encrypt_key"],
    control: false, // also needs recovery on and a vault
  },
  { name: "keys.getKey", call: (f) => get("/v1/keys.getKey", { keyId: f.keyId }), needs: ["read_key"] },
  { name: "keys.getKey decrypt", call: (f) => get("/v1/keys.getKey", { keyId: f.keyId, decrypt: true }), needs: ["read_key", "decrypt_key"] },
  { name: "keys.updateKey", call: (f) => post("/v1/keys.updateKey", { keyId: f.keyId, name: "renamed" }), needs: ["update_key"] },
  { name: "keys.updateRemaining", call: (f) => post("/v1/keys.updateRemaining", { keyId: f.keyId, op: "set", value: 3 }), needs: ["update_key"] },
  { name: "keys.deleteKey", call: (f) => post("/v1/keys.deleteKey", { keyId: f.keyId }), needs: ["delete_key"] },
  { name: "keys.verifyKey with a root key", call: (f) => post("/v1/keys.verifyKey", { key: f.key }), needs: ["verify_key"] },
  {
    name: "rootKeys.createRootKey",
    call: () => post("/v1/rootKeys.createRootKey", { name: "n", permissions: ["rbac.*.create_root_key"] }),
    needs: ["rbac.*.create_root_key"],
  },
  // Revoking also needs every permission the target holds (the fixture's root key holds api.*.read_key).
  { name: "rootKeys.deleteRootKey", call: (f) => post("/v1/rootKeys.deleteRootKey", { keyId: f.rootKeyId }), needs: ["api.*.read_key", "rbac.*.delete_root_key"] },
  { name: "rootKeys.listRootKeys", call: () => get("/v1/rootKeys.listRootKeys", {}), needs: ["rbac.*.read_root_key"] },
];

const API_ACTIONS = ["create_api", "read_api", "update_api", "delete_api", "create_key", "read_key", "update_key", "delete_key", "verify_key", "encrypt_key", "decrypt_key"];
const RBAC = ["rbac.*.create_root_key", "rbac.*.read_root_key", "rbac.*.delete_root_key"];
const ALL = [...API_ACTIONS.map((a) => `api.*.${a}`), ...RBAC];
const full = (need: string) => (need.includes(".") ? need : `api.*.${need}`);

function send(h: Harness, call: Call, authorization: string | undefined): Promise<Response> {
  const headers: Record<string, string> = authorization === undefined ? {} : { Authorization: authorization };
  if (call.method === "GET") {
    const query = Object.fromEntries(Object.entries(call.input).map(([k, v]) => [k, String(v)]));
    return h.call("GET", call.path, { query, headers });
  }
  return h.call("POST", call.path, { body: call.input, headers });
}

forEachDatabase("root key states", (h) => {
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

    test("the 401 is the same on every route", async () => {
      const bodies = new Set<string>();
      for (const route of authRoutes.filter((r) => r.name !== "keys.verifyKey with a root key")) {
        const res = await send(h(), route.call(f), "Bearer xyz");
        bodies.add(JSON.stringify(withoutRequestId(res.body)));
      }
      expect([...bodies]).toHaveLength(1);
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

  describe("missing permissions", () => {
    test.each(authRoutes.map((r) => [r.name, r] as const))("%s: 403 naming the missing permission", async (_, route) => {
      const missing = route.needs.at(-1)!;
      const nearMiss = await h().rootKey(ws, ALL.filter((p) => p !== full(missing)));
      const before = await h().snapshot();
      const res = await send(h(), route.call(f), `Bearer ${nearMiss.key}`);
      expectErrorEnvelope(res, "INSUFFICIENT_PERMISSIONS", route.name);
      const action = missing.split(".").at(-1)!;
      const resource = missing.includes(".") ? missing.split(".")[0]! : "api";
      // Either the wildcard form or the one for this very API names it.
      const named = new RegExp(`\\b${resource}\\.(\\*|${f.apiId})\\.${action}\\b`);
      expect(res.body.error.message, route.name).toMatch(named);
      expect(await h().snapshot()).toEqual(before);
    });

    test.each(authRoutes.filter((r) => r.control !== false).map((r) => [r.name, r] as const))(
      "%s: control, a key holding exactly what it needs succeeds",
      async (_, route) => {
        const exact = await h().rootKey(ws, route.needs.map(full));
        const res = await send(h(), route.call(await fixture()), `Bearer ${exact.key}`);
        expect(res.status, `${route.name}: ${JSON.stringify(res.body)}`).toBe(200);
      },
    );

    test("nothing held, nothing granted", async () => {
      // A root key with an empty permission list cannot be made over HTTP, but may exist in the table.
      const none = await h().rootKey(ws, []);
      for (const route of authRoutes) {
        expectErrorEnvelope(await send(h(), route.call(f), `Bearer ${none.key}`), "INSUFFICIENT_PERMISSIONS", route.name);
      }
    });

    test("no escalation through createRootKey", async () => {
      const creator = await h().rootKey(ws, ["rbac.*.create_root_key", "api.*.read_key", `api.${f.apiId}.update_key`]);
      const asCreator = (permissions: string[]) => h().post("/v1/rootKeys.createRootKey", { name: "child", permissions }, creator.key);
      for (const [wanted, refused] of [
        [["api.*.decrypt_key"], "api.*.decrypt_key"],
        [["api.*.read_key", "api.*.update_key"], "api.*.update_key"],
        [["*"], "*"],
        [["rbac.*.delete_root_key"], "rbac.*.delete_root_key"],
        [[`api.${f.apiId}.delete_key`], `api.${f.apiId}.delete_key`],
      ] as const) {
        const res = await asCreator([...wanted]);
        expectErrorEnvelope(res, "FORBIDDEN", wanted.join());
        expect(res.body.error.message).toContain(refused);
      }
      for (const wanted of [["api.*.read_key"], [`api.${f.apiId}.read_key`], [`api.${f.apiId}.update_key`], ["rbac.*.create_root_key"]]) {
        const res = await asCreator(wanted);
        expect(res.status, `${wanted.join()}: ${JSON.stringify(res.body)}`).toBe(200);
      }
    });
  });

  describe("per-API permissions", () => {
    let apiA: Fixture;
    let apiB: Fixture;
    beforeAll(async () => {
      apiA = await fixture();
      apiB = await fixture();
    });

    const as = (key: string) => `Bearer ${key}`;

    test("api.<A>.read_key reads A's keys and nothing of B's", async () => {
      const reader = await h().rootKey(ws, [`api.${apiA.apiId}.read_key`]);
      const listA = await send(h(), get("/v1/apis.listKeys", { apiId: apiA.apiId }), as(reader.key));
      expect(listA.status).toBe(200);
      expect(listA.body.keys.map((k: { id: string }) => k.id)).toEqual([apiA.keyId]);
      const keyA = await send(h(), get("/v1/keys.getKey", { keyId: apiA.keyId }), as(reader.key));
      expect(keyA.body).toMatchObject({ id: apiA.keyId, apiId: apiA.apiId });

      for (const [label, call, permission] of [
        ["list B", get("/v1/apis.listKeys", { apiId: apiB.apiId }), `api.${apiB.apiId}.read_key`],
        ["get B's key", get("/v1/keys.getKey", { keyId: apiB.keyId }), `api.${apiB.apiId}.read_key`],
        ["read A itself", get("/v1/apis.getApi", { apiId: apiA.apiId }), "read_api"],
        ["decrypt A's key", get("/v1/keys.getKey", { keyId: apiA.keyId, decrypt: "true" }), "decrypt_key"],
        ["update A's key", post("/v1/keys.updateKey", { keyId: apiA.keyId, name: "x" }), "update_key"],
        ["create a key in A", post("/v1/keys.createKey", { apiId: apiA.apiId }), "create_key"],
        ["delete A's key", post("/v1/keys.deleteKey", { keyId: apiA.keyId }), "delete_key"],
        ["verify A's key", post("/v1/keys.verifyKey", { key: apiA.key }), "verify_key"],
        ["list root keys", get("/v1/rootKeys.listRootKeys", {}), "rbac.*.read_root_key"],
      ] as const) {
        const res = await send(h(), call, as(reader.key));
        expectErrorEnvelope(res, "INSUFFICIENT_PERMISSIONS", label);
        expect(res.body.error.message, label).toContain(permission);
      }
    });

    test("api.<A>.verify_key verifies A's keys only", async () => {
      const verifier = await h().rootKey(ws, [`api.${apiA.apiId}.verify_key`]);
      const okA = await send(h(), post("/v1/keys.verifyKey", { key: apiA.key }), as(verifier.key));
      expect(okA.body).toMatchObject({ valid: true, code: "VALID", keyId: apiA.keyId });
      const onB = await send(h(), post("/v1/keys.verifyKey", { key: apiB.key }), as(verifier.key));
      expectErrorEnvelope(onB, "INSUFFICIENT_PERMISSIONS");
      expect(onB.body.error.message).toContain(`api.${apiB.apiId}.verify_key`);
    });

    test("a per-API key for one API cannot act on another through its id", async () => {
      const writer = await h().rootKey(ws, [`api.${apiA.apiId}.update_key`, `api.${apiA.apiId}.delete_key`, `api.${apiA.apiId}.delete_api`]);
      const before = await h().snapshot();
      for (const call of [
        post("/v1/keys.updateKey", { keyId: apiB.keyId, name: "x" }),
        post("/v1/keys.updateRemaining", { keyId: apiB.keyId, op: "set", value: 1 }),
        post("/v1/keys.deleteKey", { keyId: apiB.keyId }),
        post("/v1/apis.deleteKeys", { apiId: apiB.apiId }),
        post("/v1/apis.deleteApi", { apiId: apiB.apiId }),
      ]) {
        expectErrorEnvelope(await send(h(), call, as(writer.key)), "INSUFFICIENT_PERMISSIONS", call.path);
      }
      expect(await h().snapshot()).toEqual(before);
      expect((await send(h(), post("/v1/keys.updateKey", { keyId: apiA.keyId, name: "mine" }), as(writer.key))).status).toBe(200);
    });
  });
});
