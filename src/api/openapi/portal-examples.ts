import type { OperationExamples } from "./examples.ts";

/** portal.* (src/api/operations/portal.ts, src/api/portal/): the configuration in both versions, the sessions in v2. */
const portalId = "ptl_1Ghu6Y2kQ7xW3nZ8rT5vLp";
const apiId = "api_1Ghu6Wzaf5ZVRZcWJQ1Hfs";
const keyId = "key_1Ghu6X3CyQqZpHcnh7Zy6N";
const created = { name: "Acme developer portal", apiIds: [apiId], returnUrl: "https://acme.example/account", branding: { accentColor: "#3355ff", logoUrl: "/assets/logo.svg" } };
const portal = { portalId, ...created, createdAt: 1767225600000 };
const code = "Qm9vdHN0cmFwcGVkLWNvZGUtZXhhbXBsZS0xMjM0NTY3";

function bothVersions(operation: string, v1: OperationExamples, v2Request = v1.request): Record<string, OperationExamples> {
  const list = operation === "portal.listPortals";
  return {
    [operation]: list ? { request: v1.request, response: { portals: v1.response } } : v1,
    [`v2.${operation}`]: { request: v2Request, response: v1.response, ...(list && { pagination: { hasMore: false } }) },
  };
}

export function portalExamples(keyData: unknown): Record<string, OperationExamples> {
  return {
    ...bothVersions("portal.createPortal", { request: created, response: { portalId } }),
    ...bothVersions("portal.getPortal", { request: { portalId }, response: portal }),
    ...bothVersions("portal.listPortals", { request: { limit: "50" }, response: [portal] }, { limit: 50 }),
    ...bothVersions("portal.updatePortal", { request: { portalId, name: "Acme portal" }, response: {} }),
    ...bothVersions("portal.deletePortal", { request: { portalId }, response: {} }),
    "v2.portal.createSession": {
      request: { portal: portalId, externalId: "user_123", scopes: ["keys:read", "keys:reveal"], returnUrl: "https://acme.example/docs" },
      response: { id: "pss_1Ghu6Z4qWmT8xYbN3cVd2K", url: `https://keyhold.example.com/portal?code=${code}`, code, expiresAt: 1767225900000 },
    },
    "v2.portal.exchangeCode": { request: { code }, response: { accessToken: "pts_QWNjZXNzVG9rZW5FeGFtcGxlLTAxMjM0NTY3ODk", expiresAt: 1767229200000 } },
    "v2.portal.listKeys": { request: { limit: 10 }, response: [keyData], pagination: { hasMore: false } },
    "v2.portal.getVerifications": {
      request: { startTime: 1767222000000, endTime: 1767229200000, keyId },
      response: [1767222000000, 1767225600000].map((time) => ({ time, total: 12, valid: 10, rateLimited: 1, insufficientPermissions: 0, forbidden: 0, disabled: 0, expired: 0, usageExceeded: 1 })),
    },
    "v2.portal.rerollKey": { request: { keyId, expiration: 86_400_000 }, response: { keyId: "key_1Ghu6Y7Jk2mPqRsTuVwXyZ", key: "sk_live_8hRzKqW3nVbT2cYpLmXsDfGj4eUa9oNi" } },
    "v2.portal.createKey": { request: { apiId, name: "My laptop" }, response: { keyId: "key_1Ghu6Z9Lm3nPqRsTuVwXyA", key: "sk_live_3kFpQz8WnVbR2cYtLmXsDfGj4eUa9oHx" } },
    "v2.portal.revealKey": { request: { keyId }, response: { keyId, plaintext: "sk_live_5fBUpTrNaCz7rWdMRKyWLPQzE2h1xJxR" } },
    "v2.portal.getActivity": {
      request: { activityId: "act_1Ghu6ZbT4nQ8wXmR2kVc7J" },
      response: {
        activityId: "act_1Ghu6ZbT4nQ8wXmR2kVc7J",
        operation: "portal.revealKey",
        keyId,
        status: "COMPLETED",
        result: { keyId, plaintext: "sk_live_5fBUpTrNaCz7rWdMRKyWLPQzE2h1xJxR" },
        createdAt: 1767225600000,
        updatedAt: 1767225960000,
        expiresAt: 1767312000000,
      },
    },
  };
}
