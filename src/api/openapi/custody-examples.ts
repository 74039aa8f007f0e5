import type { OperationExamples } from "./examples.ts";

/**
 * Examples of Keyhold's own operations (src/api/operations/), which are served as v1 and v2 from
 * one definition (src/api/operation.ts): one example gives both, in each version's shape.
 */
function both(
  operation: string,
  example: { request: Record<string, unknown>; response: unknown; read?: boolean; list?: string },
): Record<string, OperationExamples> {
  // v1 reads take their fields as query parameters, i.e. text.
  const v1Request = example.read ? Object.fromEntries(Object.entries(example.request).map(([k, v]) => [k, String(v)])) : example.request;
  return {
    [operation]: { request: v1Request, response: example.list ? { [example.list]: example.response } : example.response },
    [`v2.${operation}`]: { request: example.request, response: example.response, ...(example.list && { pagination: { hasMore: false } }) },
  };
}

const userId = "usr_1Ghu6Z4qWmT8xYbN3cVd2K";
const user = { userId, name: "Alice", email: "alice@example.com", tags: ["security"], createdAt: 1767225600000 };
const auditEntry = {
  workspaceId: "ws_1Ghu6VmfBbKSsPqGNMnUjd",
  seq: 1,
  id: "aud_1Ghu6ZBnC4dE5fG6hJ7kL8",
  at: 1767225600000,
  event: "CREATE_USER",
  activityId: null,
  activityType: null,
  userId: "usr_1Ghu6Z2pQrS3tUvW4xYz5A",
  rootKeyId: "rk_1Ghu6XbK2fQzTQJmT8WJ3c",
  apiId: null,
  keyId: null,
  details: { targetUserId: userId, name: "Alice", tags: ["security"] },
  prevHash: "0".repeat(64),
  hash: "5b0c7e9f6f3f7d4c1a3b2e8d9c0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b",
};

export const custodyExamples: Record<string, OperationExamples> = {
  ...both("users.createUser", { request: { name: "Alice", email: "alice@example.com", tags: ["security"] }, response: { userId } }),
  ...both("users.getUser", { request: { userId }, response: user, read: true }),
  ...both("users.listUsers", { request: { limit: 50 }, response: [user], read: true, list: "users" }),
  ...both("users.deleteUser", { request: { userId }, response: {} }),
  ...both("audit.listLogs", { request: { event: "CREATE_USER", since: 1767225600000, limit: 100 }, response: [auditEntry], read: true, list: "logs" }),
};
