import { beforeAll, expect, test } from "vitest";
import { newId } from "../../src/ids.ts";
import { generateKey } from "../../src/keys/key-format.ts";
import { type Harness, type Response, type Workspace, forEachDatabase } from "../harness.ts";
import { withoutRequestId } from "../security/envelope.ts";

/**
 * Point 7: an existence oracle would let a caller learn that a key exists elsewhere. For
 * verifyKey, getKey and listKeys, asked by workspace B's root key: a nonexistent key, a key
 * of workspace A, a key of A's other API, a disabled (or expired, or spent) key of A all
 * answer identically: same status, same body but the request id (Unkey once answered
 * DISABLED for a key in another keyspace).
 */
function suite(h: () => Harness): void {
  let a: Workspace;
  let b: Workspace;
  let verifierB: string;
  const A = {} as { apiId: string; otherApiId: string; key: { keyId: string; key: string }; otherApiKey: { keyId: string; key: string }; disabled: { keyId: string; key: string }; expired: { keyId: string; key: string }; spent: { keyId: string; key: string } };
  let apiB: string;

  beforeAll(async () => {
    a = await h().workspace();
    b = await h().workspace();
    A.apiId = await h().createApi(a, "a");
    A.otherApiId = await h().createApi(a, "a-other");
    A.key = await h().createKey(a, A.apiId, { prefix: "sk", ownerId: "owner-a", permissions: ["admin"] });
    A.otherApiKey = await h().createKey(a, A.otherApiId, { prefix: "sk", ownerId: "owner-a" });
    A.disabled = await h().createKey(a, A.apiId, { prefix: "sk", enabled: false });
    A.expired = await h().createKey(a, A.apiId, { prefix: "sk", expires: Date.now() + 300 });
    A.spent = await h().createKey(a, A.apiId, { prefix: "sk", remaining: 0 });
    apiB = await h().createApi(b, "b");
    verifierB = (await h().rootKey(b, ["api.*.verify_key", "api.*.read_key"])).key;
    await new Promise((r) => setTimeout(r, 350)); // A.expired is now expired
    // Warm the cache, where there is one, with A's keys.
    for (const k of [A.key, A.otherApiKey, A.disabled, A.expired, A.spent]) await h().verify(k.key);
  });

  function expectIdentical(answers: [string, Response][]): void {
    const [reference] = answers;
    for (const [label, res] of answers) {
      expect(res.status, label).toBe(reference![1].status);
      expect(withoutRequestId(res.body), label).toEqual(withoutRequestId(reference![1].body));
      expect(res.headers.get("Content-Type"), label).toBe(reference![1].headers.get("Content-Type"));
    }
  }

  test("verifyKey with B's root key: nonexistent, A's key, A's key with A's other API / B's API as apiId, A's disabled, expired and spent keys: all one NOT_FOUND", async () => {
    const verify = (key: string, extra: Record<string, unknown> = {}) => h().post("/v1/keys.verifyKey", { key, ...extra }, verifierB);
    const before = await h().snapshot();
    const answers: [string, Response][] = [
      ["nonexistent", await verify(generateKey({ prefix: "sk" }))],
      ["A's key", await verify(A.key.key)],
      ["A's key, apiId of A's other API", await verify(A.key.key, { apiId: A.otherApiId })],
      ["A's key, apiId of B's API", await verify(A.key.key, { apiId: apiB })],
      ["A's key of its other API", await verify(A.otherApiKey.key, { apiId: A.apiId })],
      ["A's disabled key", await verify(A.disabled.key)],
      ["A's expired key", await verify(A.expired.key)],
      ["A's spent key", await verify(A.spent.key, { remaining: { cost: 1 } })],
      ["A's key, permission query it fails", await verify(A.key.key, { authorization: { permissions: "nope" } })],
      ["nonexistent, permission query", await verify(generateKey({ prefix: "sk" }), { authorization: { permissions: "nope" } })],
    ];
    expect(answers[0]![1].body).toMatchObject({ valid: false, code: "NOT_FOUND" });
    expect(Object.keys(answers[0]![1].body).sort()).toEqual(["code", "requestId", "valid"]);
    expectIdentical(answers);
    expect(await h().snapshot()).toEqual(before);
  });

  test("getKey with B's root key: nonexistent id, A's key, A's other API's key, A's disabled key: one 404", async () => {
    const get = (keyId: string, extra: Record<string, string> = {}) => h().get("/v1/keys.getKey", { keyId, ...extra }, b.rootKey);
    const answers: [string, Response][] = [];
    for (const decrypt of [{}, { decrypt: "true" }] as Record<string, string>[]) {
      answers.push(
        ["nonexistent", await get(newId("key"), decrypt)],
        ["A's key", await get(A.key.keyId, decrypt)],
        ["A's other API's key", await get(A.otherApiKey.keyId, decrypt)],
        ["A's disabled key", await get(A.disabled.keyId, decrypt)],
      );
    }
    expect(answers[0]![1].status).toBe(404);
    expectIdentical(answers);
  });

  test("listKeys with B's root key: nonexistent API, A's API, A's other API (with or without filters): one 404; B's own API never lists A's keys", async () => {
    const list = (apiId: string, extra: Record<string, string> = {}) => h().get("/v1/apis.listKeys", { apiId, ...extra }, b.rootKey);
    const answers: [string, Response][] = [];
    for (const extra of [{}, { ownerId: "owner-a" }, { decrypt: "true" }, { limit: "1" }] as Record<string, string>[]) {
      answers.push(["nonexistent", await list(newId("api"), extra)], ["A's API", await list(A.apiId, extra)], ["A's other API", await list(A.otherApiId, extra)]);
    }
    expect(answers[0]![1].status).toBe(404);
    expectIdentical(answers);
    // Filtering B's own API by A's owner id answers exactly like an owner nobody has.
    const byA = await list(apiB, { ownerId: "owner-a" });
    const byNobody = await list(apiB, { ownerId: "owner-nobody" });
    expect(byA.body).toEqual({ keys: [], total: 0 });
    expect(withoutRequestId(byA.body)).toEqual(withoutRequestId(byNobody.body));
  });
}

forEachDatabase("adversarial 07: existence oracle", suite);
forEachDatabase("adversarial 07: existence oracle, verify cache on", suite, { cache: true });
