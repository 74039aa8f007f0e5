import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";

/**
 * After a write, this instance's caches forget what it changed, at once; other instances
 * hear it from the database's change notices (drizzle/0001, 0002), a moment later. One
 * table for every operation of both API versions that changes a cached record, keyed by
 * `<group>.<action>`: the id of the record it changed is a field of the validated body.
 */
type Change =
  | { cache: "verify"; field: "keyId" | "apiId" }
  | { cache: "rootKey"; field: "keyId" }
  /** Every cached key of the identity the body names (v2 `identity`: id or externalId; v1 `identityId` or `externalId`). */
  | { cache: "identity"; field: "identity" | "identityId" | "externalId" };
const key: Change = { cache: "verify", field: "keyId" };
const api: Change = { cache: "verify", field: "apiId" };

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
  "apis.deleteApi": api,
  "apis.deleteKeys": api,
  "rootKeys.deleteRootKey": { cache: "rootKey", field: "keyId" },
};
/** Identity changes name it by one of several fields; each present one is forgotten. */
const identityChanges: Change[] = (["identity", "identityId", "externalId"] as const).map((field) => ({ cache: "identity", field }));
const changesOf: Record<string, Change[]> = {
  ...Object.fromEntries(Object.entries(changes).map(([operation, change]) => [operation, [change]])),
  "identities.updateIdentity": identityChanges,
  "identities.deleteIdentity": identityChanges,
};

/** `/v1/keys.updateKey` and `/v2/keys.updateKey` → `keys.updateKey`. */
const operationOf = (path: string) => path.slice(path.indexOf("/", 1) + 1);

export function forgetChanged(): MiddlewareHandler<AppEnv> {
  return async function forgetChanged(c, next) {
    await next();
    const found = c.req.method === "POST" && c.res.status === 200 ? changesOf[operationOf(c.req.path)] : undefined;
    if (!found) return;
    const body = c.req.valid("json" as never) as Record<string, unknown> | undefined;
    const { verifyCache, rootKeyCache } = c.get("deps");
    for (const change of found) {
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
