import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";

/**
 * After a write, this instance's caches forget what it changed, at once; other instances
 * hear it from the database's change notices (drizzle/0001, 0002), a moment later. One
 * table for every operation of both API versions that changes a cached record, keyed by
 * `<group>.<action>`: the id of the record it changed is a field of the validated body.
 */
type Change = { cache: "verify"; field: "keyId" | "apiId" } | { cache: "rootKey"; field: "keyId" } | { cache: "verify"; field: null };
const key: Change = { cache: "verify", field: "keyId" };
const api: Change = { cache: "verify", field: "apiId" };
const everything: Change = { cache: "verify", field: null };

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
  // A role's permissions, or a permission or role that keys hold, reach any number of keys:
  // this instance starts afresh (rare admin calls; the others forget exactly those keys).
  "permissions.setRolePermissions": everything,
  "permissions.deleteRole": everything,
  "permissions.deletePermission": everything,
};

/** `/v1/keys.updateKey` and `/v2/keys.updateKey` → `keys.updateKey`. */
const operationOf = (path: string) => path.slice(path.indexOf("/", 1) + 1);

export function forgetChanged(): MiddlewareHandler<AppEnv> {
  return async function forgetChanged(c, next) {
    await next();
    const change = c.req.method === "POST" && c.res.status === 200 ? changes[operationOf(c.req.path)] : undefined;
    if (!change) return;
    if (change.field === null) return c.get("deps").verifyCache?.clear();
    const body = c.req.valid("json" as never) as Record<string, unknown> | undefined;
    const id = body?.[change.field];
    if (typeof id !== "string") return;
    const { verifyCache, rootKeyCache } = c.get("deps");
    if (change.cache === "rootKey") rootKeyCache?.forgetKey(id);
    else if (change.field === "apiId") verifyCache?.forgetApi(id);
    else verifyCache?.forgetKey(id);
  };
}
