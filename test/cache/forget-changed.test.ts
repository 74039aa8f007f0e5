import { expect, test } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { VerifyCache } from "../../src/keys/verify-cache.ts";
import { type Harness, type Workspace, forEachDatabase } from "../harness.ts";

/**
 * The instance that makes a change forgets the cached record at once, before it answers,
 * without waiting for the database's change notice: the app here has a verify cache that
 * hears no notices at all, so only src/api/middleware/forget-changed.ts can evict. Every
 * change operation of both versions, each with the verdict it must give right after.
 */
type Apply = (call: (path: string, body: unknown) => Promise<number>, ids: { keyId: string; apiId: string }) => Promise<number>;
const changes: { name: string; apply: Apply; code: string }[] = [
  { name: "v1 keys.deleteKey", apply: (call, i) => call("/v1/keys.deleteKey", { keyId: i.keyId }), code: "NOT_FOUND" },
  { name: "v1 keys.updateKey", apply: (call, i) => call("/v1/keys.updateKey", { keyId: i.keyId, enabled: false }), code: "DISABLED" },
  { name: "v1 keys.updateRemaining", apply: (call, i) => call("/v1/keys.updateRemaining", { keyId: i.keyId, op: "set", value: 0 }), code: "USAGE_EXCEEDED" },
  { name: "v1 apis.deleteApi", apply: (call, i) => call("/v1/apis.deleteApi", { apiId: i.apiId }), code: "NOT_FOUND" },
  { name: "v1 apis.deleteKeys", apply: (call, i) => call("/v1/apis.deleteKeys", { apiId: i.apiId }), code: "NOT_FOUND" },
  { name: "v2 keys.deleteKey", apply: (call, i) => call("/v2/keys.deleteKey", { keyId: i.keyId }), code: "NOT_FOUND" },
  { name: "v2 keys.updateKey", apply: (call, i) => call("/v2/keys.updateKey", { keyId: i.keyId, enabled: false }), code: "DISABLED" },
  { name: "v2 keys.updateCredits", apply: (call, i) => call("/v2/keys.updateCredits", { keyId: i.keyId, operation: "set", value: 0 }), code: "USAGE_EXCEEDED" },
  { name: "v2 keys.rerollKey", apply: (call, i) => call("/v2/keys.rerollKey", { keyId: i.keyId, expiration: 0 }), code: "EXPIRED" },
  { name: "v2 keys.setPermissions", apply: (call, i) => call("/v2/keys.setPermissions", { keyId: i.keyId, permissions: [] }), code: "INSUFFICIENT_PERMISSIONS" },
  { name: "v2 keys.removePermissions", apply: (call, i) => call("/v2/keys.removePermissions", { keyId: i.keyId, permissions: ["docs.read"] }), code: "INSUFFICIENT_PERMISSIONS" },
  { name: "v2 keys.setRoles", apply: (call, i) => call("/v2/keys.setRoles", { keyId: i.keyId, roles: [] }), code: "VALID" },
  { name: "v2 keys.addRoles", apply: (call, i) => call("/v2/keys.addRoles", { keyId: i.keyId, roles: ["writer"] }), code: "VALID" },
  { name: "v2 keys.removeRoles", apply: (call, i) => call("/v2/keys.removeRoles", { keyId: i.keyId, roles: ["reader"] }), code: "VALID" },
  { name: "v2 keys.addPermissions", apply: (call, i) => call("/v2/keys.addPermissions", { keyId: i.keyId, permissions: ["docs.write"] }), code: "VALID" },
  { name: "v2 apis.deleteApi", apply: (call, i) => call("/v2/apis.deleteApi", { apiId: i.apiId }), code: "NOT_FOUND" },
  { name: "v1 keys.addPermissions", apply: (call, i) => call("/v1/keys.addPermissions", { keyId: i.keyId, permissions: [{ name: "docs.write", create: true }] }), code: "VALID" },
  { name: "v1 keys.removePermissions", apply: (call, i) => call("/v1/keys.removePermissions", { keyId: i.keyId, permissions: [{ name: "docs.read" }] }), code: "INSUFFICIENT_PERMISSIONS" },
  { name: "v1 keys.setPermissions", apply: (call, i) => call("/v1/keys.setPermissions", { keyId: i.keyId, permissions: [] }), code: "INSUFFICIENT_PERMISSIONS" },
  { name: "v1 keys.addRoles", apply: (call, i) => call("/v1/keys.addRoles", { keyId: i.keyId, roles: [{ name: "writer", create: true }] }), code: "VALID" },
  { name: "v1 keys.removeRoles", apply: (call, i) => call("/v1/keys.removeRoles", { keyId: i.keyId, roles: [{ name: "reader" }] }), code: "VALID" },
  { name: "v1 keys.setRoles", apply: (call, i) => call("/v1/keys.setRoles", { keyId: i.keyId, roles: [] }), code: "VALID" },
  // Role and permission changes reach any number of keys: this instance's cache starts afresh.
  { name: "v2 permissions.setRolePermissions", apply: (call) => call("/v2/permissions.setRolePermissions", { roleId: "reader", permissions: ["docs.read"] }), code: "VALID" },
  { name: "v2 permissions.deletePermission", apply: (call) => call("/v2/permissions.deletePermission", { permission: "docs.read" }), code: "INSUFFICIENT_PERMISSIONS" },
  { name: "v2 permissions.deleteRole", apply: (call) => call("/v2/permissions.deleteRole", { role: "reader" }), code: "VALID" },
  { name: "v1 permissions.deletePermission", apply: (call) => call("/v1/permissions.deletePermission", { permissionId: "docs.read" }), code: "INSUFFICIENT_PERMISSIONS" },
  { name: "v1 permissions.deleteRole", apply: (call) => call("/v1/permissions.deleteRole", { roleId: "reader" }), code: "VALID" },
];

forEachDatabase("a change evicts this instance's cached record before it answers", (h) => {
  test.each(changes.map((c) => [c.name, c] as const))("%s", async (_, change) => {
    const cache = new VerifyCache({ max: 1000, maxBytes: 2 ** 20, ttlMs: 600_000, negativeTtlMs: 600_000 });
    const app = createApp({ ...h().deps, verifyCache: cache }); // no subscription: it hears no change notices
    const ws: Workspace = await h().workspace();
    const apiId = await h().createApi(ws);
    const { key, keyId } = await h().createKey(ws, apiId, { remaining: 10, permissions: ["docs.read"], roles: ["reader"] });
    const post = async (path: string, body: unknown, token?: string) => {
      const res = await app.request(path, { method: "POST", headers: { "Content-Type": "application/json", ...(token && { Authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    };
    const verify = async () => (await post("/v1/keys.verifyKey", { key, authorization: { permissions: "docs.read" } })).body;
    expect(await verify()).toMatchObject({ valid: true, code: "VALID" });
    expect(cache.size).toBe(1);
    const status = await change.apply(async (path, body) => (await post(path, body, ws.rootKey)).status, { keyId, apiId });
    expect(status).toBe(200);
    expect(cache.size, "the record is gone from the cache").toBe(0);
    expect((await verify()).code).toBe(change.code);
  });
});

/** Keeps the table honest: every operation that changes a key, API or root key is in it. */
test("every change operation of the OpenAPI document is in the table above or said to need no eviction", async () => {
  const h: Harness = await (await import("../harness.ts")).openHarness("pglite");
  try {
    const doc = (await h.call("GET", "/openapi.json")).body;
    const writes = Object.keys(doc.paths).filter((p) => /\/(keys|apis|rootKeys|permissions)\.(update|delete|set|add|remove|reroll)/.test(p));
    const noEviction: Record<string, string> = {
      "/v1/apis.updateApi": "renames or switches recovery: nothing verify reads",
      "/v1/rootKeys.deleteRootKey": "evicts from the root-key cache (test/cache/root-key-cache.test.ts)",
    };
    const covered = new Set(changes.map((c) => c.name.replace(/^(v\d) /, "/$1/")));
    expect(writes.filter((p) => !covered.has(p) && !(p in noEviction))).toEqual([]);
  } finally {
    await h.close();
  }
});
