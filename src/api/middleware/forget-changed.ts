import type { MiddlewareHandler } from "hono";
import type { App, AppEnv } from "../env.ts";

/**
 * After a write, this instance's caches forget what it changed, at once; other instances
 * hear it from the database's change notices (drizzle/0001, 0002, 0015), a moment later. One
 * table for every operation of both API versions that changes a cached record, keyed by
 * `<group>.<action>`: the id of the record it changed is a field of the validated body.
 */
type Change =
  | { cache: "verify"; field: "keyId" | "apiId" }
  | { cache: "rootKey"; field: "keyId" }
  /** Every cached key of the identity the body names (v2 `identity`: id or externalId; v1 `identityId` or `externalId`). */
  | { cache: "identity"; field: "identity" | "identityId" | "externalId" }
  /** Any number of keys (a role's permissions, a permission or role keys hold): this instance's verify cache starts afresh. */
  | { cache: "verify"; field: null }
  /** What policies read of the workspace's APIs and users (src/policies/policy-cache.ts): the workspace's entry goes. */
  | { cache: "policy"; field: null };
const key: Change = { cache: "verify", field: "keyId" };
const api: Change = { cache: "verify", field: "apiId" };
const everything: Change = { cache: "verify", field: null };
const policyFacts: Change = { cache: "policy", field: null };

const changes: Record<string, Change> = {
  "keys.updateKey": key,
  "keys.updateRemaining": key,
  "keys.updateCredits": key,
  "keys.deleteKey": key,
  "keys.rerollKey": key,
  "keys.addPermissions": key,
  "keys.removePermissions": key,
  "keys.setPermissions": key,
  "keys.addRoles": key,
  "keys.removeRoles": key,
  "keys.setRoles": key,
  "apis.deleteKeys": api,
  "rootKeys.deleteRootKey": { cache: "rootKey", field: "keyId" },
  // A role's permissions, or a permission or role that keys hold, reach any number of keys:
  // this instance starts afresh (rare admin calls; the others forget exactly those keys).
  "permissions.setRolePermissions": everything,
  "permissions.deleteRole": everything,
  "permissions.deletePermission": everything,
};
/** Identity changes name it by one of several fields; each present one is forgotten. */
const identityChanges: Change[] = (["identity", "identityId", "externalId"] as const).map((field) => ({ cache: "identity", field }));
const changesOf: Record<string, Change[]> = {
  ...Object.fromEntries(Object.entries(changes).map(([operation, change]) => [operation, [change]])),
  "identities.updateIdentity": identityChanges,
  "identities.deleteIdentity": identityChanges,
  "apis.updateApi": [policyFacts],
  "apis.deleteApi": [api, policyFacts],
  "users.deleteUser": [policyFacts],
};

/** `/v1/keys.updateKey` and `/v2/keys.updateKey` → `keys.updateKey`. */
const operationOf = (path: string) => path.slice(path.indexOf("/", 1) + 1);

/**
 * On the paths of the operations above only (both versions' paths; one a version lacks
 * matches nothing): every other request, verify among them, runs one middleware fewer.
 */
export function forgetChanged(app: App): void {
  const middleware = forgetChangedAfter();
  for (const operation of Object.keys(changesOf)) for (const version of ["v1", "v2"]) app.use(`/${version}/${operation}`, middleware);
}

function forgetChangedAfter(): MiddlewareHandler<AppEnv> {
  return async function forgetChanged(c, next) {
    await next();
    const found = c.req.method === "POST" && c.res.status === 200 ? changesOf[operationOf(c.req.path)] : undefined;
    if (!found) return;
    const body = c.req.valid("json" as never) as Record<string, unknown> | undefined;
    const { verifyCache, rootKeyCache, policyCache } = c.get("deps");
    for (const change of found) {
      if (change.cache === "policy") {
        const workspaceId = c.get("workspaceId");
        if (workspaceId) policyCache?.forgetWorkspace(workspaceId);
        continue;
      }
      if (change.field === null) {
        verifyCache?.clear();
        continue;
      }
      const id = body?.[change.field];
      if (typeof id !== "string") continue;
      if (change.cache === "rootKey") rootKeyCache?.forgetKey(id);
      else if (change.cache === "identity") {
        const workspaceId = c.get("workspaceId"); // set by the root key that was allowed to make the change
        if (workspaceId) verifyCache?.forgetIdentity(workspaceId, id);
      } else if (change.field === "apiId") verifyCache?.forgetApi(id);
      else verifyCache?.forgetKey(id);
    }
  };
}
