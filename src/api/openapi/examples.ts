import { derivedId } from "../../ids.ts";
import { custodyExamples } from "./custody-examples.ts";
import { escrowExamples } from "./escrow-examples.ts";
import { policyExamples } from "./policy-examples.ts";
import { portalExamples } from "./portal-examples.ts";

/**
 * One request and one response example per operation, for the OpenAPI document (and so for
 * the "try it" panel of /docs, which starts from them). Tests send every request example to
 * the app (it must pass validation) and check every response example against its schema.
 */
export interface OperationExamples {
  /** The JSON body (an array for migrations.createKeys), or the query parameters of a GET. */
  request?: Record<string, unknown> | Record<string, unknown>[];
  /** For v2 operations, the `data` part only: the document adds the envelope. */
  response: unknown;
  /** v2 list operations: the example's `pagination`. */
  pagination?: { cursor?: string; hasMore: boolean };
}

const apiId = "api_1Ghu6Wzaf5ZVRZcWJQ1Hfs";
const keyId = "key_1Ghu6X3CyQqZpHcnh7Zy6N";
const workspaceId = "ws_1Ghu6VmfBbKSsPqGNMnUjd";
const key = "sk_live_5fBUpTrNaCz7rWdMRKyWLPQzE2h1xJxR";
/** Standard base64 of SHA-256 of `key`: how an exporter following Unkey's scheme sends it. */
const keyHash = "JxgusfdRRNIFFz9VSid3OpHvT+XyeUvpn/k7Y1gPyIo=";
/** The identity owning the example key (`externalId` user_123), with a limit its keys share. */
const identityId = "id_1Ghu6Y2kQ7xW3nZ8rT5vLp";
const identityRatelimit = { id: "rl_1Ghu6YBc3dEfGhJkLmNpQr", name: "tokens", limit: 1000, duration: 3_600_000, autoApply: true };
const identityData = { id: identityId, externalId: "user_123", meta: { org: "Acme" }, ratelimits: [identityRatelimit] };
const v1Identity = { id: identityId, externalId: "user_123", meta: { org: "Acme" }, ratelimits: [{ name: "tokens", limit: 1000, duration: 3_600_000 }] };

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
  identity: { id: identityId, externalId: "user_123", meta: { org: "Acme" } },
};

/** v2's KeyResponseData for the same key. */
const keyData = {
  keyId,
  start: "sk_live_5fBU",
  enabled: true,
  name: "Acme production",
  meta: { plan: "pro" },
  createdAt: 1767225600000,
  permissions: ["dns.read"],
  roles: [],
  credits: { remaining: 990, refill: { interval: "monthly", amount: 1000, refillDay: 1 } },
  identity: identityData,
  ratelimits: [{ id: "rl_1Ghu6XHd8uX2pXzW5Ck4Tm", name: "requests", limit: 100, duration: 60000, autoApply: true }],
};
/** One row of analytics.getVerifications (v1 and v2). */
const verificationCounts = {
  valid: 940,
  notFound: 0,
  forbidden: 0,
  usageExceeded: 3,
  rateLimited: 12,
  unauthorized: 0,
  disabled: 1,
  insufficientPermissions: 2,
  expired: 0,
  total: 958,
};
const permission = { id: derivedId("perm", workspaceId, "dns.read"), name: "dns.read", slug: "dns.read" };
const namespaceId = "rlns_1Ghu6Y4bN7qKcVwQfZ2Rt8";
const overrideId = "rlor_1Ghu6YB3mWdRq8FhXn5Kp2";
const reset = 1767225660000;
const role = { id: derivedId("role", workspaceId, "admin"), name: "admin" };

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
      identity: { id: identityId, externalId: "user_123", meta: { org: "Acme" } },
      requestId: "req_1Ghu6XQhX1xw9rN5SnWw8v",
    },
  },
  "v2.liveness": { response: { message: "OK" } },
  "v2.apis.createApi": { request: { name: "payments" }, response: { apiId } },
  "v2.apis.getApi": { request: { apiId }, response: { id: apiId, name: "payments" } },
  "v2.apis.deleteApi": { request: { apiId }, response: {} },
  "migrations.createKeys": {
    request: [
      { apiId, hash: { value: keyHash, variant: "sha256_base64" }, prefix: "sk_live", start: "sk_live_5fBU", name: "Acme production", ownerId: "user_123", remaining: 1000 },
    ],
    response: { keyIds: [keyId] },
  },
  "v2.keys.rerollKey": {
    request: { keyId, expiration: 86_400_000 },
    response: { keyId: "key_1Ghu6Y7Jk2mPqRsTuVwXyZ", key: "sk_live_8hRzKqW3nVbT2cYpLmXsDfGj4eUa9oNi" },
  },
  "v2.keys.migrateKeys": {
    request: {
      migrationId: "sha256_base64",
      apiId,
      keys: [
        {
          hash: keyHash,
          name: "Acme production",
          externalId: "user_123",
          meta: { plan: "pro" },
          credits: { remaining: 1000, refill: { interval: "daily", amount: 1000 } },
          ratelimits: [{ name: "requests", limit: 100, duration: 60_000, autoApply: true }],
        },
      ],
    },
    response: { migrated: [{ hash: keyHash, keyId }], failed: [] },
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
      ratelimits: [
        { exceeded: false, id: identityRatelimit.id, name: "tokens", limit: 1000, duration: 3_600_000, reset: 1767229200000, remaining: 999, autoApply: true },
        { exceeded: false, id: "rl_1Ghu6XhW9cNQe4bBv2sTgY", name: "requests", limit: 100, duration: 60000, reset: 1767225660000, remaining: 99, autoApply: true },
      ],
      identity: identityData,
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
      rootKeys: [{ id: "rk_1Ghu6XbK2fQzTQJmT8WJ3c", userId: "usr_1Ghu6Z4qWmT8xYbN3cVd2K", name: "ci deploys", start: "kh_root_3oTt", permissions: ["api.*.create_key", "api.*.read_key"], createdAt: 1767225600000 }],
    },
  },
  // v2: `response` is the `data` of v2's envelope.
  "v2.keys.createKey": {
    request: {
      apiId,
      prefix: "sk_live",
      name: "Acme production",
      externalId: "user_123",
      meta: { plan: "pro" },
      permissions: ["dns.read"],
      credits: { remaining: 1000, refill: { interval: "monthly", amount: 1000, refillDay: 1 } },
      ratelimits: [{ name: "requests", limit: 100, duration: 60000, autoApply: true }],
    },
    response: { keyId, key },
  },
  "v2.keys.getKey": { request: { keyId, decrypt: true }, response: { ...keyData, plaintext: key } },
  "v2.apis.listKeys": { request: { apiId, limit: 10, externalId: "user_123" }, response: [keyData], pagination: { hasMore: false } },
  "v2.keys.updateKey": { request: { keyId, enabled: false, meta: { plan: "free" }, credits: { remaining: null } }, response: {} },
  "v2.keys.deleteKey": { request: { keyId, permanent: false }, response: {} },
  "v2.keys.updateCredits": { request: { keyId, operation: "increment", value: 100 }, response: { remaining: 1090, refill: { interval: "monthly", amount: 1000, refillDay: 1 } } },
  "v2.keys.whoami": { request: { key }, response: keyData },
  "v2.keys.addPermissions": { request: { keyId, permissions: ["dns.read"] }, response: [permission] },
  "v2.keys.removePermissions": { request: { keyId, permissions: ["dns.write"] }, response: [permission] },
  "v2.keys.setPermissions": { request: { keyId, permissions: ["dns.read"] }, response: [permission] },
  "v2.keys.addRoles": { request: { keyId, roles: ["admin"] }, response: [role] },
  "v2.keys.removeRoles": { request: { keyId, roles: ["viewer"] }, response: [role] },
  "v2.keys.setRoles": { request: { keyId, roles: ["admin"] }, response: [role] },
  "ratelimits.limit": {
    request: { namespace: "email.outbound", identifier: "user_123", limit: 10, duration: 60000, cost: 1 },
    response: { success: true, limit: 10, remaining: 9, reset },
  },
  "ratelimits.setOverride": { request: { namespaceName: "email.outbound", identifier: "premium_*", limit: 100, duration: 60000 }, response: { overrideId } },
  "ratelimits.getOverride": {
    request: { namespaceName: "email.outbound", identifier: "premium_*" },
    response: { id: overrideId, identifier: "premium_*", limit: 100, duration: 60000, async: false },
  },
  "ratelimits.listOverrides": {
    request: { namespaceId, limit: "10" },
    response: { overrides: [{ id: overrideId, identifier: "premium_*", limit: 100, duration: 60000, async: false }], total: 1 },
  },
  "ratelimits.deleteOverride": { request: { namespaceName: "email.outbound", identifier: "premium_*" }, response: {} },
  "v2.ratelimit.limit": {
    request: { namespace: "email.outbound", identifier: "premium_42", limit: 10, duration: 60000, cost: 1 },
    response: { success: true, limit: 100, remaining: 99, reset, overrideId },
  },
  "v2.ratelimit.multiLimit": {
    request: [
      { namespace: "api.requests", identifier: "user_123", limit: 100, duration: 60000 },
      { namespace: "api.tokens", identifier: "org_9", limit: 50000, duration: 3600000, cost: 1200 },
    ],
    response: {
      passed: true,
      limits: [
        { namespace: "api.requests", identifier: "user_123", passed: true, limit: 100, remaining: 99, reset },
        { namespace: "api.tokens", identifier: "org_9", passed: true, limit: 50000, remaining: 48800, reset: 1767229200000 },
      ],
    },
  },
  "v2.ratelimit.setOverride": { request: { namespace: "email.outbound", identifier: "premium_*", limit: 100, duration: 60000 }, response: { overrideId } },
  "v2.ratelimit.getOverride": {
    request: { namespace: "email.outbound", identifier: "premium_42" },
    response: { overrideId, identifier: "premium_*", limit: 100, duration: 60000 },
  },
  "v2.ratelimit.listOverrides": {
    request: { namespace: namespaceId, limit: 10 },
    response: [{ overrideId, identifier: "premium_*", limit: 100, duration: 60000 }],
    pagination: { hasMore: false },
  },
  "v2.ratelimit.deleteOverride": { request: { namespace: "email.outbound", identifier: "premium_*" }, response: {} },
  // Identities: v1 and v2 over the same service.
  "identities.createIdentity": {
    request: { externalId: "user_123", meta: { org: "Acme" }, ratelimits: [{ name: "tokens", limit: 1000, duration: 3_600_000 }] },
    response: { identityId },
  },
  "identities.getIdentity": { request: { externalId: "user_123" }, response: v1Identity },
  "identities.listIdentities": {
    request: { limit: "50" },
    response: { identities: [{ id: identityId, externalId: "user_123", ratelimits: v1Identity.ratelimits }], total: 1 },
  },
  "identities.updateIdentity": { request: { externalId: "user_123", meta: { org: "Acme", plan: "enterprise" } }, response: { ...v1Identity, meta: { org: "Acme", plan: "enterprise" } } },
  "identities.deleteIdentity": { request: { identityId }, response: {} },
  "v2.identities.createIdentity": {
    request: { externalId: "user_123", meta: { org: "Acme" }, ratelimits: [{ name: "tokens", limit: 1000, duration: 3_600_000, autoApply: true }] },
    response: { identityId },
  },
  "v2.identities.getIdentity": { request: { identity: "user_123" }, response: identityData },
  "v2.identities.listIdentities": { request: { limit: 50, search: "user" }, response: [identityData], pagination: { hasMore: false } },
  "v2.identities.updateIdentity": {
    request: { identity: "user_123", ratelimits: [{ name: "tokens", limit: 5000, duration: 3_600_000, autoApply: true }] },
    response: { ...identityData, ratelimits: [{ ...identityRatelimit, limit: 5000 }] },
  },
  "v2.identities.deleteIdentity": { request: { identity: "user_123" }, response: {} },
  ...rbacExamples(),
  ...activityExamples(),
  ...custodyExamples,
  ...escrowExamples,
  ...policyExamples,
  ...portalExamples(keyData),
  "analytics.getVerifications": {
    request: { apiId, start: "1767225600000", end: "1767311999999", groupBy: "day" },
    response: [{ time: 1767225600000, ...verificationCounts }],
  },
  "keys.getVerifications": { request: { keyId, start: "1767225600000" }, response: { verifications: [{ time: 1767225600000, success: 940, rateLimited: 12, usageExceeded: 3 }] } },
  "v2.analytics.getVerifications": {
    request: { apiId, start: 1767225600000, end: 1767311999999, groupBy: ["key", "day"] },
    response: [{ time: 1767225600000, keyId, ...verificationCounts }],
  },
};

/** permissions.* of both versions: the workspace's permissions and roles. */
function rbacExamples(): Record<string, OperationExamples> {
  const read = { ...permission, description: "Read DNS records" };
  const write = { id: derivedId("perm", workspaceId, "dns.write"), name: "dns.write", slug: "dns.write" };
  const dnsAdmin = { id: derivedId("role", workspaceId, "dns-admin"), name: "dns-admin", description: "Manages DNS" };
  return {
    "permissions.createPermission": { request: { name: "dns.read", description: "Read DNS records" }, response: { permissionId: read.id } },
    "permissions.getPermission": { request: { permissionId: read.id }, response: read },
    "permissions.listPermissions": { request: { limit: "100" }, response: [read, write] },
    "permissions.deletePermission": { request: { permissionId: read.id }, response: {} },
    "permissions.createRole": { request: { name: "dns-admin", description: "Manages DNS" }, response: { roleId: dnsAdmin.id } },
    "permissions.getRole": { request: { roleId: dnsAdmin.id }, response: dnsAdmin },
    "permissions.listRoles": { request: { limit: "100" }, response: [dnsAdmin] },
    "permissions.deleteRole": { request: { roleId: dnsAdmin.id }, response: {} },
    "v2.permissions.createPermission": { request: { name: "Read DNS records", slug: "dns.read", description: "Read DNS records" }, response: { permissionId: read.id } },
    "v2.permissions.getPermission": { request: { permission: "dns.read" }, response: read },
    "v2.permissions.listPermissions": { request: { limit: 50, search: "dns" }, response: [read, write], pagination: { hasMore: false } },
    "v2.permissions.deletePermission": { request: { permission: "dns.read" }, response: {} },
    "v2.permissions.createRole": { request: { name: "dns-admin", description: "Manages DNS", permissions: ["dns.read", "dns.write"] }, response: { roleId: dnsAdmin.id } },
    "v2.permissions.getRole": { request: { role: "dns-admin" }, response: { ...dnsAdmin, permissions: [read, write] } },
    "v2.permissions.listRoles": { request: { limit: 50 }, response: [{ ...dnsAdmin, permissions: [read, write] }], pagination: { hasMore: false } },
    "v2.permissions.deleteRole": { request: { role: "dns-admin" }, response: {} },
    "v2.permissions.setRolePermissions": { request: { roleId: "dns-admin", permissions: ["dns.read", "dns.write"] }, response: [read, write] },
    "keys.addPermissions": { request: { keyId, permissions: [{ name: "dns.read" }, { name: "dns.write", create: true }] }, response: [{ id: read.id, name: "dns.read" }, { id: write.id, name: "dns.write" }] },
    "keys.removePermissions": { request: { keyId, permissions: [{ name: "dns.write" }] }, response: {} },
    "keys.setPermissions": { request: { keyId, permissions: [{ id: read.id }] }, response: [{ id: read.id, name: "dns.read" }] },
    "keys.addRoles": { request: { keyId, roles: [{ name: "dns-admin" }] }, response: [{ id: dnsAdmin.id, name: "dns-admin" }] },
    "keys.removeRoles": { request: { keyId, roles: [{ id: dnsAdmin.id }] }, response: {} },
    "keys.setRoles": { request: { keyId, roles: [{ name: "dns-admin" }] }, response: [{ id: dnsAdmin.id, name: "dns-admin" }] },
  };
}

/** Keyhold's own custody operations (activities, the root quorum): the same examples in both versions. */
function activityExamples(): Record<string, OperationExamples> {
  const activityId = "act_1Ghu6ZJ4nT8dWq2xLkR7vB";
  const digest = "9f2c1a7e5b3d8c4f6a0e2b7d9c1f3a5e8b0d2c4f6a8e0b2d4c6f8a0e2b4d6c8f";
  const initiator = { userId: "usr_1Ghu6ZA1bC2dE3fG4hJ5kL", rootKeyId: "rk_1Ghu6ZB2cD3eF4gH5jK6mN" };
  const approver = { userId: "usr_1Ghu6ZC3dE4fG5hJ6kL7mP", rootKeyId: "rk_1Ghu6ZD4eF5gH6jK7mN8pQ" };
  const waiting = {
    activityId,
    type: "DECRYPT_KEY",
    status: "CONSENSUS_NEEDED",
    digest,
    params: { keyId, decrypt: true },
    initiator,
    approvals: [{ ...initiator, decision: "APPROVE", createdAt: 1767225600000 }],
    createdAt: 1767225600000,
    updatedAt: 1767225600000,
    expiresAt: 1767312000000,
  };
  const done = {
    ...waiting,
    status: "COMPLETED",
    approvals: [...waiting.approvals, { ...approver, decision: "APPROVE", createdAt: 1767225660000 }],
    result: { status: 200, body: { ...keyView, plaintext: "[redacted]" } },
    updatedAt: 1767225660000,
  };
  const quorum = { userIds: [initiator.userId, approver.userId], threshold: 2 };
  const both = (name: string, examples: OperationExamples) => ({ [name]: examples, [`v2.${name}`]: examples });
  return {
    ...both("activities.getActivity", { request: { activityId }, response: waiting }),
    "activities.listActivities": { request: { status: "CONSENSUS_NEEDED", limit: "50" }, response: { activities: [waiting] } },
    "v2.activities.listActivities": { request: { status: "CONSENSUS_NEEDED", limit: 50 }, response: [waiting], pagination: { hasMore: false } },
    ...both("activities.approveActivity", { request: { activityId, digest }, response: done }),
    ...both("activities.rejectActivity", { request: { activityId, digest }, response: { ...waiting, status: "REJECTED", approvals: [...waiting.approvals, { ...approver, decision: "REJECT", createdAt: 1767225660000 }] } }),
    ...both("workspaces.getRootQuorum", { request: {}, response: quorum }),
    ...both("workspaces.updateRootQuorum", { request: quorum, response: quorum }),
  };
}
