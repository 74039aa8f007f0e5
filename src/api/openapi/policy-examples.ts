import type { OperationExamples } from "./examples.ts";

/** policies.* (src/api/operations/policies.ts): each example serves both versions. */
const policyId = "pol_1Ghu6Y2kQ7xW3nZ8rT5vLp";
const created = {
  name: "Decrypts of payments keys need two approvers",
  effect: "ALLOW",
  condition: "activity.type == 'DECRYPT_KEY' && api.id == 'api_1Ghu6Wzaf5ZVRZcWJQ1Hfs'",
  consensus: "approvers.count() >= 2",
  notes: "Platform team, ticket SEC-42",
};
const policy = { policyId, ...created, createdAt: 1767225600000 };

/** The v1 example and its v2 twin (`v2.`: POST bodies, lists as `data` with `pagination`). */
function bothVersions(operation: string, v1: OperationExamples, v2Request = v1.request): Record<string, OperationExamples> {
  const list = operation === "policies.listPolicies";
  return {
    [operation]: list ? { request: v1.request, response: { policies: v1.response } } : v1,
    [`v2.${operation}`]: { request: v2Request, response: v1.response, ...(list && { pagination: { hasMore: false } }) },
  };
}

export const policyExamples: Record<string, OperationExamples> = {
  ...bothVersions("policies.createPolicy", { request: created, response: { policyId } }),
  ...bothVersions("policies.updatePolicy", { request: { policyId, consensus: "approvers.count() >= 3" }, response: {} }),
  ...bothVersions("policies.deletePolicy", { request: { policyId }, response: {} }),
  ...bothVersions("policies.getPolicy", { request: { policyId }, response: policy }),
  ...bothVersions("policies.listPolicies", { request: { limit: "50" }, response: [policy] }, { limit: 50 }),
};
