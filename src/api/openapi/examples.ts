/**
 * One request and one response example per operation, for the OpenAPI document (and so for
 * the "try it" panel of /docs, which starts from them). Tests send every request example to
 * the app (it must pass validation) and check every response example against its schema.
 */
export interface OperationExamples {
  /** The JSON body, or the query parameters of a GET. */
  request?: Record<string, unknown>;
  response: unknown;
}

const apiId = "api_1Ghu6Wzaf5ZVRZcWJQ1Hfs";
const keyId = "key_1Ghu6X3CyQqZpHcnh7Zy6N";
const workspaceId = "ws_1Ghu6VmfBbKSsPqGNMnUjd";
const key = "sk_live_5fBUpTrNaCz7rWdMRKyWLPQzE2h1xJxR";

const keyView = {
  id: keyId,
  start: "sk_live_5fBU",
  workspaceId,
  apiId,
  name: "Acme production",
  ownerId: "user_123",
  meta: { plan: "pro" },
  createdAt: 1767225600000,
  remaining: 990,
  roles: [],
  permissions: ["dns.read"],
  enabled: true,
};

export const operationExamples: Record<string, OperationExamples> = {
  liveness: { response: { status: "ok" } },
  readyz: { response: { status: "ready", checks: { database: "ok", migrations: "current", vault: "ok" } } },
  "apis.createApi": { request: { name: "payments" }, response: { apiId } },
  "apis.getApi": { request: { apiId }, response: { id: apiId, workspaceId, name: "payments", recovery: { enabled: false } } },
  "apis.updateApi": { request: { apiId, recovery: { enabled: true } }, response: {} },
  "apis.deleteApi": { request: { apiId }, response: {} },
  "apis.listKeys": { request: { apiId, limit: "10" }, response: { keys: [keyView], total: 1 } },
  "apis.deleteKeys": { request: { apiId, permanent: false }, response: { deletedKeys: 3 } },
  "keys.createKey": {
    request: { apiId, prefix: "sk_live", name: "Acme production", ownerId: "user_123", meta: { plan: "pro" }, remaining: 1000, permissions: ["dns.read"] },
    response: { keyId, key },
  },
  "keys.getKey": { request: { keyId, decrypt: "true" }, response: { ...keyView, plaintext: key } },
  "keys.updateKey": { request: { keyId, enabled: false, meta: { plan: "free" } }, response: {} },
  "keys.updateRemaining": { request: { keyId, op: "increment", value: 100 }, response: { remaining: 1090 } },
  "keys.deleteKey": { request: { keyId }, response: {} },
  "keys.verifyKey": {
    request: { key, apiId, authorization: { permissions: "dns.read" } },
    response: {
      valid: true,
      code: "VALID",
      keyId,
      name: "Acme production",
      ownerId: "user_123",
      meta: { plan: "pro" },
      remaining: 989,
      enabled: true,
      permissions: ["dns.read"],
      roles: [],
      requestId: "req_1Ghu6XQhX1xw9rN5SnWw8v",
    },
  },
  "v2.keys.verifyKey": {
    request: { key, permissions: "dns.read AND (dns.write OR admin)", credits: { cost: 1 }, ratelimits: [{ name: "requests" }], tags: ["endpoint=/records"] },
    response: {
      valid: true,
      code: "VALID",
      keyId,
      name: "Acme production",
      meta: { plan: "pro" },
      credits: 989,
      enabled: true,
      permissions: ["dns.read", "dns.write"],
      roles: [],
      ratelimits: [{ exceeded: false, id: "rl_1Ghu6XhW9cNQe4bBv2sTgY", name: "requests", limit: 100, duration: 60000, reset: 1767225660000, remaining: 99, autoApply: true }],
    },
  },
  "rootKeys.createRootKey": {
    request: { name: "ci deploys", permissions: ["api.*.create_key", "api.*.read_key"] },
    response: { keyId: "rk_1Ghu6XbK2fQzTQJmT8WJ3c", key: "kh_root_3oTtY1Q2kXcRzTnVYxGgDk9bW7Jp" },
  },
  "rootKeys.deleteRootKey": { request: { keyId: "rk_1Ghu6XbK2fQzTQJmT8WJ3c" }, response: {} },
  "rootKeys.listRootKeys": {
    request: { limit: "50" },
    response: {
      rootKeys: [{ id: "rk_1Ghu6XbK2fQzTQJmT8WJ3c", name: "ci deploys", start: "kh_root_3oTt", permissions: ["api.*.create_key", "api.*.read_key"], createdAt: 1767225600000 }],
    },
  },
};
