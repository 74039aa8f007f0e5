import { randomBytes } from "node:crypto";
import type { Harness, Response } from "../harness.ts";

/** The admin routes and what each needs: the table the root-key and permission suites share. */
export interface Fixture {
  apiId: string;
  keyId: string;
  key: string;
  rootKeyId: string;
  /** A rate-limit namespace with an override for `vip` (05 and 17 make one per fixture; unset: a namespace id never issued). */
  namespace?: string;
  /** The id of the key's owner, the identity `ownerOf(apiId)` (v1 deleteIdentity takes only an id). */
  identityId?: string;
  /** A permission and a role of the workspace (05 makes them; other suites may leave them out). */
  permission?: { id: string; slug: string };
  role?: { id: string; name: string };
  /** An activity of the workspace, long completed (05 reads it from listActivities). */
  activityId?: string;
  /** A user of the workspace holding no root key, so that deleteUser can succeed (05 and 17 make one per fixture). */
  userId?: string;
  /** An escrow key of the workspace (05 and 17 make one per fixture; unset: an id never issued). */
  escrowKeyId?: string;
  /** A policy of the workspace (05 makes one for the policies.* rows; unset: an id never issued). */
  policyId?: string;
  /** A portal of the workspace showing `apiId` (05 makes one for the portal.* rows; unset: an id never issued). */
  portalId?: string;
}

export interface Call {
  method: "GET" | "POST";
  path: string;
  input: Record<string, unknown> | Record<string, unknown>[];
}

export interface AuthRoute {
  name: string;
  call: (f: Fixture) => Call;
  /** The actions it needs (api.*.<action> or, for rbac.*, the full permission), the last one named when missing. */
  needs: string[];
  /**
   * How a root key without them is answered, where not 403: Unkey v2 hides the key itself from
   * whoami (404 NOT_FOUND) and from verifyKey (200 verdict NOT_FOUND), so that a refusal
   * cannot tell that a key exists.
   */
  deniedAs?: "NOT_FOUND" | "NOT_FOUND verdict";
  /**
   * How a root key holding them is answered, where not 200: approving the fixture's activity,
   * which ran long ago, is a 409 once the permission check has passed.
   */
  grantedAs?: 409;
}

export const get = (path: string, input: Record<string, unknown>): Call => ({ method: "GET", path, input });
export const post = (path: string, input: Call["input"]): Call => ({ method: "POST", path, input });

/** The externalId of the fixture key's owner: fixtures make their key with `ownerId: ownerOf(apiId)`. */
export const ownerOf = (apiId: string) => `owner_${apiId}`;
/** A fresh externalId, for createIdentity rows that the tables call more than once. */
const freshExternalId = () => `ext_${randomBytes(8).toString("hex")}`;

/** A hash nobody holds yet, for import routes that the tables call more than once. */
const freshHash = (encoding: "hex" | "base64") => randomBytes(32).toString(encoding);
/** Standalone rate limits: the fixture's namespace, or a namespace id never issued (NOT_FOUND on every route, never created). */
const ns = (f: Fixture) => f.namespace ?? "rlns_1Ghu6Y4bN7qKcVwQfZ2Rt8";
const freshNamespace = () => `ns-${randomBytes(6).toString("hex")}`;
const limitBody = (namespace: string) => ({ namespace, identifier: "u", limit: 1000, duration: 60_000 });
/** A permission or role name no workspace has yet: creating it needs rbac.*.create_permission / create_role. */
const fresh = (kind: string) => `${kind}.${randomBytes(6).toString("hex")}`;
/** A real P-256 public key (exports check the point is on the curve); nobody holds its private half here. */
export const TARGET_PUBLIC_KEY = { kty: "EC", crv: "P-256", x: "YN_XYkLPjq29EKpGoD-X8TRn1deuwfTLYY-SrW94kRI", y: "ONdq_rx_vVD5dGAgR7W5sidbHT5UsMUG6M2IcDaQEms" };
const escrowOf = (f: Fixture) => f.escrowKeyId ?? "esc_1Ghu6Z8pQ2wErTy5UiOp3a";
const slugOf = (f: Fixture) => f.permission?.slug ?? "p.none";
const roleOf = (f: Fixture) => f.role?.name ?? "r.none";
/** The fixture's user, or a user id never issued (NOT_FOUND). */
const userOf = (f: Fixture) => f.userId ?? "usr_1Ghu6Z4qWmT8xYbN3cVd2K";
const policyOf = (f: Fixture) => f.policyId ?? "pol_1Ghu6Y4bN7qKcVwQfZ2Rt8";
const portalOf = (f: Fixture) => f.portalId ?? "ptl_1Ghu6Y4bN7qKcVwQfZ2Rt8";
/** A policy that matches no activity, so that it controls nothing in the suites that make it. */
export const INERT_POLICY = { name: "matrix", effect: "DENY", condition: "activity.type == 'NO_SUCH_ACTIVITY'" };

export const authRoutes: AuthRoute[] = [
  { name: "apis.createApi", call: () => post("/v1/apis.createApi", { name: "n" }), needs: ["create_api"] },
  { name: "apis.getApi", call: (f) => get("/v1/apis.getApi", { apiId: f.apiId }), needs: ["read_api"] },
  { name: "apis.updateApi", call: (f) => post("/v1/apis.updateApi", { apiId: f.apiId, name: "renamed" }), needs: ["update_api"] },
  {
    name: "apis.updateApi purge",
    call: (f) => post("/v1/apis.updateApi", { apiId: f.apiId, recovery: { enabled: false, purge: true } }),
    needs: ["update_api", "encrypt_key"],
  },
  { name: "apis.deleteApi", call: (f) => post("/v1/apis.deleteApi", { apiId: f.apiId }), needs: ["delete_api"] },
  { name: "apis.listKeys", call: (f) => get("/v1/apis.listKeys", { apiId: f.apiId }), needs: ["read_key"] },
  { name: "apis.listKeys decrypt", call: (f) => get("/v1/apis.listKeys", { apiId: f.apiId, decrypt: true }), needs: ["read_key", "decrypt_key"] },
  { name: "apis.deleteKeys", call: (f) => post("/v1/apis.deleteKeys", { apiId: f.apiId }), needs: ["delete_key"] },
  { name: "keys.createKey", call: (f) => post("/v1/keys.createKey", { apiId: f.apiId }), needs: ["create_key"] },
  {
    name: "keys.createKey recoverable",
    call: (f) => post("/v1/keys.createKey", { apiId: f.apiId, recoverable: true }),
    needs: ["create_key", "encrypt_key"],
  },
  { name: "keys.getKey", call: (f) => get("/v1/keys.getKey", { keyId: f.keyId }), needs: ["read_key"] },
  { name: "keys.getKey decrypt", call: (f) => get("/v1/keys.getKey", { keyId: f.keyId, decrypt: true }), needs: ["read_key", "decrypt_key"] },
  { name: "keys.updateKey", call: (f) => post("/v1/keys.updateKey", { keyId: f.keyId, name: "renamed" }), needs: ["update_key"] },
  { name: "keys.updateRemaining", call: (f) => post("/v1/keys.updateRemaining", { keyId: f.keyId, op: "set", value: 3 }), needs: ["update_key"] },
  { name: "keys.deleteKey", call: (f) => post("/v1/keys.deleteKey", { keyId: f.keyId }), needs: ["delete_key"] },
  { name: "keys.verifyKey with a root key", call: (f) => post("/v1/keys.verifyKey", { key: f.key }), needs: ["verify_key"] },
  {
    name: "rootKeys.createRootKey",
    call: () => post("/v1/rootKeys.createRootKey", { name: "n", permissions: ["rbac.*.create_root_key"] }),
    needs: ["rbac.*.create_root_key"],
  },
  // Revoking also needs every permission the target holds (the fixture's root key holds api.*.read_key).
  { name: "rootKeys.deleteRootKey", call: (f) => post("/v1/rootKeys.deleteRootKey", { keyId: f.rootKeyId }), needs: ["api.*.read_key", "rbac.*.delete_root_key"] },
  { name: "rootKeys.listRootKeys", call: () => get("/v1/rootKeys.listRootKeys", {}), needs: ["rbac.*.read_root_key"] },
  // Unkey v2: the same permissions, through the v2 adapters (src/api/v2/).
  { name: "v2 apis.createApi", call: () => post("/v2/apis.createApi", { name: "n" }), needs: ["create_api"] },
  { name: "v2 apis.getApi", call: (f) => post("/v2/apis.getApi", { apiId: f.apiId }), needs: ["read_api"] },
  { name: "v2 apis.deleteApi", call: (f) => post("/v2/apis.deleteApi", { apiId: f.apiId }), needs: ["delete_api"] },
  { name: "v2 apis.listKeys", call: (f) => post("/v2/apis.listKeys", { apiId: f.apiId }), needs: ["read_key"] },
  { name: "v2 apis.listKeys decrypt", call: (f) => post("/v2/apis.listKeys", { apiId: f.apiId, decrypt: true }), needs: ["read_key", "decrypt_key"] },
  { name: "v2 keys.createKey", call: (f) => post("/v2/keys.createKey", { apiId: f.apiId }), needs: ["create_key"] },
  { name: "v2 keys.createKey recoverable", call: (f) => post("/v2/keys.createKey", { apiId: f.apiId, recoverable: true }), needs: ["create_key", "encrypt_key"] },
  { name: "v2 keys.getKey", call: (f) => post("/v2/keys.getKey", { keyId: f.keyId }), needs: ["read_key"] },
  { name: "v2 keys.getKey decrypt", call: (f) => post("/v2/keys.getKey", { keyId: f.keyId, decrypt: true }), needs: ["read_key", "decrypt_key"] },
  { name: "v2 keys.updateKey", call: (f) => post("/v2/keys.updateKey", { keyId: f.keyId, name: "renamed" }), needs: ["update_key"] },
  { name: "v2 keys.updateCredits", call: (f) => post("/v2/keys.updateCredits", { keyId: f.keyId, operation: "set", value: 3 }), needs: ["update_key"] },
  { name: "v2 keys.deleteKey", call: (f) => post("/v2/keys.deleteKey", { keyId: f.keyId }), needs: ["delete_key"] },
  // v2 verify needs a root key, and hides a key the root key may not verify as NOT_FOUND (Unkey's #3538).
  { name: "v2 keys.verifyKey", call: (f) => post("/v2/keys.verifyKey", { key: f.key }), needs: ["verify_key"], deniedAs: "NOT_FOUND verdict" },
  { name: "v2 keys.whoami", call: (f) => post("/v2/keys.whoami", { key: f.key }), needs: ["read_key"], deniedAs: "NOT_FOUND" },
  { name: "v2 keys.addPermissions", call: (f) => post("/v2/keys.addPermissions", { keyId: f.keyId, permissions: [slugOf(f)] }), needs: ["update_key"] },
  { name: "v2 keys.removePermissions", call: (f) => post("/v2/keys.removePermissions", { keyId: f.keyId, permissions: ["p.new"] }), needs: ["update_key"] },
  { name: "v2 keys.setPermissions", call: (f) => post("/v2/keys.setPermissions", { keyId: f.keyId, permissions: [slugOf(f)] }), needs: ["update_key"] },
  { name: "v2 keys.addRoles", call: (f) => post("/v2/keys.addRoles", { keyId: f.keyId, roles: [roleOf(f)] }), needs: ["update_key"] },
  { name: "v2 keys.removeRoles", call: (f) => post("/v2/keys.removeRoles", { keyId: f.keyId, roles: ["r.new"] }), needs: ["update_key"] },
  { name: "v2 keys.setRoles", call: (f) => post("/v2/keys.setRoles", { keyId: f.keyId, roles: [roleOf(f)] }), needs: ["update_key"] },
  // The fixture's key is recoverable: its reroll is too, so it needs encrypt_key as well.
  { name: "v2 keys.rerollKey", call: (f) => post("/v2/keys.rerollKey", { keyId: f.keyId, expiration: 60_000 }), needs: ["create_key", "encrypt_key"] },
  {
    name: "v2 keys.migrateKeys",
    call: (f) => post("/v2/keys.migrateKeys", { migrationId: "sha256_hex", apiId: f.apiId, keys: [{ hash: freshHash("hex") }] }),
    needs: ["create_key"],
  },
  {
    name: "migrations.createKeys",
    call: (f) => post("/v1/migrations.createKeys", [{ apiId: f.apiId, hash: { value: freshHash("base64"), variant: "sha256_base64" } }]),
    needs: ["create_key"],
  },
  // Standalone rate limits (src/ratelimits/): namespace-wide or per-namespace permissions, as Unkey's.
  { name: "ratelimits.limit", call: (f) => post("/v1/ratelimits.limit", limitBody(ns(f))), needs: ["ratelimit.*.limit"] },
  // Unkey v1 answered a namespace the root key may not create NOT_FOUND.
  { name: "ratelimits.limit new namespace", call: () => post("/v1/ratelimits.limit", limitBody(freshNamespace())), needs: ["ratelimit.*.limit", "ratelimit.*.create_namespace"], deniedAs: "NOT_FOUND" },
  { name: "ratelimits.setOverride", call: (f) => post("/v1/ratelimits.setOverride", { namespaceName: ns(f), identifier: "vip", limit: 5, duration: 60_000 }), needs: ["ratelimit.*.set_override"] },
  { name: "ratelimits.getOverride", call: (f) => get("/v1/ratelimits.getOverride", { namespaceName: ns(f), identifier: "vip" }), needs: ["ratelimit.*.read_override"] },
  { name: "ratelimits.listOverrides", call: (f) => get("/v1/ratelimits.listOverrides", { namespaceName: ns(f) }), needs: ["ratelimit.*.read_override"] },
  { name: "ratelimits.deleteOverride", call: (f) => post("/v1/ratelimits.deleteOverride", { namespaceName: ns(f), identifier: "vip" }), needs: ["ratelimit.*.delete_override"] },
  { name: "v2 ratelimit.limit", call: (f) => post("/v2/ratelimit.limit", limitBody(ns(f))), needs: ["ratelimit.*.limit"] },
  { name: "v2 ratelimit.limit new namespace", call: () => post("/v2/ratelimit.limit", limitBody(freshNamespace())), needs: ["ratelimit.*.limit", "ratelimit.*.create_namespace"] },
  { name: "v2 ratelimit.multiLimit", call: (f) => post("/v2/ratelimit.multiLimit", [limitBody(ns(f)), { ...limitBody(ns(f)), identifier: "w" }]), needs: ["ratelimit.*.limit"] },
  { name: "v2 ratelimit.setOverride", call: (f) => post("/v2/ratelimit.setOverride", { namespace: ns(f), identifier: "vip", limit: 5, duration: 60_000 }), needs: ["ratelimit.*.set_override"] },
  // v2 hides an override from a root key that may not read it behind the NOT_FOUND of a missing one.
  { name: "v2 ratelimit.getOverride", call: (f) => post("/v2/ratelimit.getOverride", { namespace: ns(f), identifier: "vip" }), needs: ["ratelimit.*.read_override"], deniedAs: "NOT_FOUND" },
  { name: "v2 ratelimit.listOverrides", call: (f) => post("/v2/ratelimit.listOverrides", { namespace: ns(f) }), needs: ["ratelimit.*.read_override"] },
  { name: "v2 ratelimit.deleteOverride", call: (f) => post("/v2/ratelimit.deleteOverride", { namespace: ns(f), identifier: "vip" }), needs: ["ratelimit.*.delete_override"] },
  // Identities: Unkey's identity.* permissions, v1 and v2 alike.
  { name: "identities.createIdentity", call: () => post("/v1/identities.createIdentity", { externalId: freshExternalId() }), needs: ["identity.*.create_identity"] },
  { name: "identities.getIdentity", call: (f) => get("/v1/identities.getIdentity", { externalId: ownerOf(f.apiId) }), needs: ["identity.*.read_identity"] },
  { name: "identities.listIdentities", call: () => get("/v1/identities.listIdentities", {}), needs: ["identity.*.read_identity"] },
  { name: "identities.updateIdentity", call: (f) => post("/v1/identities.updateIdentity", { externalId: ownerOf(f.apiId), meta: { v: 1 } }), needs: ["identity.*.update_identity"] },
  { name: "identities.deleteIdentity", call: (f) => post("/v1/identities.deleteIdentity", { identityId: f.identityId ?? "id_none" }), needs: ["identity.*.delete_identity"] },
  { name: "v2 identities.createIdentity", call: () => post("/v2/identities.createIdentity", { externalId: freshExternalId() }), needs: ["identity.*.create_identity"] },
  { name: "v2 identities.getIdentity", call: (f) => post("/v2/identities.getIdentity", { identity: ownerOf(f.apiId) }), needs: ["identity.*.read_identity"] },
  { name: "v2 identities.listIdentities", call: () => post("/v2/identities.listIdentities", {}), needs: ["identity.*.read_identity"] },
  { name: "v2 identities.updateIdentity", call: (f) => post("/v2/identities.updateIdentity", { identity: ownerOf(f.apiId), meta: { v: 2 } }), needs: ["identity.*.update_identity"] },
  { name: "v2 identities.deleteIdentity", call: (f) => post("/v2/identities.deleteIdentity", { identity: ownerOf(f.apiId) }), needs: ["identity.*.delete_identity"] },
  // Names new to the workspace are created on first use, which needs the rbac create permission (src/rbac/ensure-entities.ts).
  { name: "keys.createKey new permission", call: (f) => post("/v1/keys.createKey", { apiId: f.apiId, permissions: [fresh("p")] }), needs: ["create_key", "rbac.*.create_permission"] },
  { name: "keys.updateKey new role", call: (f) => post("/v1/keys.updateKey", { keyId: f.keyId, roles: [fresh("r")] }), needs: ["update_key", "rbac.*.create_role"] },
  { name: "v2 keys.createKey new role", call: (f) => post("/v2/keys.createKey", { apiId: f.apiId, roles: [fresh("r")] }), needs: ["create_key", "rbac.*.create_role"] },
  { name: "v2 keys.updateKey new permission", call: (f) => post("/v2/keys.updateKey", { keyId: f.keyId, permissions: [fresh("p")] }), needs: ["update_key", "rbac.*.create_permission"] },
  { name: "v2 keys.addPermissions new permission", call: (f) => post("/v2/keys.addPermissions", { keyId: f.keyId, permissions: [fresh("p")] }), needs: ["update_key", "rbac.*.create_permission"] },
  { name: "v2 keys.setRoles new role", call: (f) => post("/v2/keys.setRoles", { keyId: f.keyId, roles: [fresh("r")] }), needs: ["update_key", "rbac.*.create_role"] },
  {
    name: "v2 keys.migrateKeys new permission",
    call: (f) => post("/v2/keys.migrateKeys", { migrationId: "sha256_hex", apiId: f.apiId, keys: [{ hash: freshHash("hex"), permissions: [fresh("p")] }] }),
    needs: ["create_key", "rbac.*.create_permission"],
  },
  // v1's key edits: existing names by reference need update_key; create: true for a new one also the create permission.
  { name: "keys.addPermissions", call: (f) => post("/v1/keys.addPermissions", { keyId: f.keyId, permissions: [{ name: slugOf(f) }] }), needs: ["update_key"] },
  {
    name: "keys.addPermissions create=true for a new one",
    call: (f) => post("/v1/keys.addPermissions", { keyId: f.keyId, permissions: [{ name: fresh("p"), create: true }] }),
    needs: ["update_key", "rbac.*.create_permission"],
  },
  { name: "keys.removePermissions", call: (f) => post("/v1/keys.removePermissions", { keyId: f.keyId, permissions: [{ name: "p.none" }] }), needs: ["update_key"] },
  { name: "keys.setPermissions", call: (f) => post("/v1/keys.setPermissions", { keyId: f.keyId, permissions: [{ id: f.permission?.id ?? "perm_none" }] }), needs: ["update_key"] },
  { name: "keys.addRoles", call: (f) => post("/v1/keys.addRoles", { keyId: f.keyId, roles: [{ name: roleOf(f) }] }), needs: ["update_key"] },
  { name: "keys.removeRoles", call: (f) => post("/v1/keys.removeRoles", { keyId: f.keyId, roles: [{ name: "r.none" }] }), needs: ["update_key"] },
  {
    name: "keys.setRoles create=true for a new one",
    call: (f) => post("/v1/keys.setRoles", { keyId: f.keyId, roles: [{ name: fresh("r"), create: true }] }),
    needs: ["update_key", "rbac.*.create_role"],
  },
  // The workspace's permissions and roles (src/rbac/): rbac.*.<action>, as Unkey names them.
  { name: "permissions.createPermission", call: () => post("/v1/permissions.createPermission", { name: fresh("p") }), needs: ["rbac.*.create_permission"] },
  { name: "permissions.getPermission", call: (f) => get("/v1/permissions.getPermission", { permissionId: f.permission?.id ?? "perm_none" }), needs: ["rbac.*.read_permission"] },
  { name: "permissions.listPermissions", call: () => get("/v1/permissions.listPermissions", {}), needs: ["rbac.*.read_permission"] },
  { name: "permissions.deletePermission", call: (f) => post("/v1/permissions.deletePermission", { permissionId: f.permission?.id ?? "perm_none" }), needs: ["rbac.*.delete_permission"] },
  { name: "permissions.createRole", call: () => post("/v1/permissions.createRole", { name: fresh("r") }), needs: ["rbac.*.create_role"] },
  { name: "permissions.getRole", call: (f) => get("/v1/permissions.getRole", { roleId: f.role?.id ?? "role_none" }), needs: ["rbac.*.read_role"] },
  { name: "permissions.listRoles", call: () => get("/v1/permissions.listRoles", {}), needs: ["rbac.*.read_role"] },
  { name: "permissions.deleteRole", call: (f) => post("/v1/permissions.deleteRole", { roleId: f.role?.id ?? "role_none" }), needs: ["rbac.*.delete_role"] },
  { name: "v2 permissions.createPermission", call: () => post("/v2/permissions.createPermission", { name: "n", slug: fresh("p") }), needs: ["rbac.*.create_permission"] },
  { name: "v2 permissions.getPermission", call: (f) => post("/v2/permissions.getPermission", { permission: slugOf(f) }), needs: ["rbac.*.read_permission"] },
  { name: "v2 permissions.listPermissions", call: () => post("/v2/permissions.listPermissions", {}), needs: ["rbac.*.read_permission"] },
  { name: "v2 permissions.deletePermission", call: (f) => post("/v2/permissions.deletePermission", { permission: f.permission?.id ?? "perm_none" }), needs: ["rbac.*.delete_permission"] },
  { name: "v2 permissions.createRole", call: () => post("/v2/permissions.createRole", { name: fresh("r") }), needs: ["rbac.*.create_role"] },
  {
    name: "v2 permissions.createRole permissions given",
    call: (f) => post("/v2/permissions.createRole", { name: fresh("r"), permissions: [slugOf(f)] }),
    needs: ["rbac.*.create_role", "rbac.*.add_permission_to_role"],
  },
  {
    name: "v2 permissions.createRole new permission",
    call: () => post("/v2/permissions.createRole", { name: fresh("r"), permissions: [fresh("p")] }),
    needs: ["rbac.*.create_role", "rbac.*.add_permission_to_role", "rbac.*.create_permission"],
  },
  { name: "v2 permissions.getRole", call: (f) => post("/v2/permissions.getRole", { role: roleOf(f) }), needs: ["rbac.*.read_role"] },
  { name: "v2 permissions.listRoles", call: () => post("/v2/permissions.listRoles", {}), needs: ["rbac.*.read_role"] },
  { name: "v2 permissions.deleteRole", call: (f) => post("/v2/permissions.deleteRole", { role: f.role?.id ?? "role_none" }), needs: ["rbac.*.delete_role"] },
  {
    name: "v2 permissions.setRolePermissions",
    call: (f) => post("/v2/permissions.setRolePermissions", { roleId: f.role?.id ?? "role_none", permissions: [slugOf(f)] }),
    needs: ["rbac.*.add_permission_to_role", "rbac.*.remove_permission_from_role"],
  },
  {
    name: "v2 permissions.setRolePermissions new permission",
    call: (f) => post("/v2/permissions.setRolePermissions", { roleId: f.role?.id ?? "role_none", permissions: [fresh("p")] }),
    needs: ["rbac.*.add_permission_to_role", "rbac.*.remove_permission_from_role", "rbac.*.create_permission"],
  },
  // Verification analytics: Unkey v1 reads them with read_api (per API) and read_key (per key); v2 with read_analytics.
  { name: "analytics.getVerifications", call: (f) => get("/v1/analytics.getVerifications", { apiId: f.apiId, groupBy: "key" }), needs: ["read_api"] },
  { name: "keys.getVerifications", call: (f) => get("/v1/keys.getVerifications", { keyId: f.keyId }), needs: ["read_key"] },
  { name: "v2 analytics.getVerifications", call: (f) => post("/v2/analytics.getVerifications", { apiId: f.apiId, groupBy: "day" }), needs: ["read_analytics"] },
  // Custody: activities and the root quorum, v1 and v2 from one definition.
  ...(["v1", "v2"] as const).flatMap((v): AuthRoute[] => {
    const prefix = v === "v1" ? "" : "v2 ";
    const read = (path: string, input: Record<string, unknown>) => (v === "v1" ? get(`/v1/${path}`, input) : post(`/v2/${path}`, input));
    const write = (path: string, input: Record<string, unknown>) => post(`/${v}/${path}`, input);
    const act = (f: Fixture) => f.activityId ?? "act_1Ghu6ZJ4nT8dWq2xLkR7vB";
    const digest = "0".repeat(64);
    return [
      { name: `${prefix}activities.getActivity`, call: (f) => read("activities.getActivity", { activityId: act(f) }), needs: ["custody.*.read_activity"] },
      { name: `${prefix}activities.listActivities`, call: () => read("activities.listActivities", {}), needs: ["custody.*.read_activity"] },
      { name: `${prefix}activities.approveActivity`, call: (f) => write("activities.approveActivity", { activityId: act(f), digest }), needs: ["custody.*.approve_activity"], grantedAs: 409 },
      { name: `${prefix}activities.rejectActivity`, call: (f) => write("activities.rejectActivity", { activityId: act(f), digest }), needs: ["custody.*.approve_activity"], grantedAs: 409 },
      { name: `${prefix}workspaces.getRootQuorum`, call: () => read("workspaces.getRootQuorum", {}), needs: ["custody.*.read_root_quorum"] },
      { name: `${prefix}workspaces.updateRootQuorum`, call: () => write("workspaces.updateRootQuorum", { userIds: [], threshold: 1 }), needs: ["custody.*.update_root_quorum"] },
    ];
  }),
  // Custody (docs/custody-design.md): Keyhold's own operations, v1 and v2 from one definition.
  { name: "users.createUser", call: () => post("/v1/users.createUser", { name: "n" }), needs: ["custody.*.create_user"] },
  { name: "users.getUser", call: (f) => get("/v1/users.getUser", { userId: userOf(f) }), needs: ["custody.*.read_user"] },
  { name: "users.listUsers", call: () => get("/v1/users.listUsers", {}), needs: ["custody.*.read_user"] },
  { name: "users.deleteUser", call: (f) => post("/v1/users.deleteUser", { userId: userOf(f) }), needs: ["custody.*.delete_user"] },
  { name: "v2 users.createUser", call: () => post("/v2/users.createUser", { name: "n", tags: ["t"] }), needs: ["custody.*.create_user"] },
  { name: "v2 users.getUser", call: (f) => post("/v2/users.getUser", { userId: userOf(f) }), needs: ["custody.*.read_user"] },
  { name: "v2 users.listUsers", call: () => post("/v2/users.listUsers", {}), needs: ["custody.*.read_user"] },
  { name: "v2 users.deleteUser", call: (f) => post("/v2/users.deleteUser", { userId: userOf(f) }), needs: ["custody.*.delete_user"] },
  {
    name: "rootKeys.createRootKey for a user",
    call: (f) => post("/v1/rootKeys.createRootKey", { name: "n", permissions: ["rbac.*.create_root_key"], userId: userOf(f) }),
    needs: ["rbac.*.create_root_key"],
  },
  { name: "audit.listLogs", call: (f) => get("/v1/audit.listLogs", { keyId: f.keyId, limit: 10 }), needs: ["audit.*.read_log"] },
  { name: "v2 audit.listLogs", call: () => post("/v2/audit.listLogs", { event: "CREATE_USER" }), needs: ["audit.*.read_log"] },
  // Export to the caller's key (issue 13): export_key alone, per API or workspace-wide; decrypt_key is not needed.
  { name: "keys.exportKey", call: (f) => post("/v1/keys.exportKey", { keyId: f.keyId, targetPublicKey: TARGET_PUBLIC_KEY }), needs: ["export_key"] },
  { name: "v2 keys.exportKey", call: (f) => post("/v2/keys.exportKey", { keyId: f.keyId, targetPublicKey: TARGET_PUBLIC_KEY }), needs: ["export_key"] },
  // Escrow keys: escrow.*.<action>, workspace-wide only; v1 reads are GETs.
  { name: "escrow.createKey", call: () => post("/v1/escrow.createKey", { name: "matrix" }), needs: ["escrow.*.create_key"] },
  { name: "escrow.getKey", call: (f) => get("/v1/escrow.getKey", { escrowKeyId: escrowOf(f) }), needs: ["escrow.*.read_key"] },
  { name: "escrow.listKeys", call: () => get("/v1/escrow.listKeys", {}), needs: ["escrow.*.read_key"] },
  { name: "escrow.exportKey", call: (f) => post("/v1/escrow.exportKey", { escrowKeyId: escrowOf(f), targetPublicKey: TARGET_PUBLIC_KEY }), needs: ["escrow.*.export_key"] },
  { name: "escrow.deleteKey", call: (f) => post("/v1/escrow.deleteKey", { escrowKeyId: escrowOf(f) }), needs: ["escrow.*.delete_key"] },
  { name: "v2 escrow.createKey", call: () => post("/v2/escrow.createKey", { name: "matrix" }), needs: ["escrow.*.create_key"] },
  { name: "v2 escrow.getKey", call: (f) => post("/v2/escrow.getKey", { escrowKeyId: escrowOf(f) }), needs: ["escrow.*.read_key"] },
  { name: "v2 escrow.listKeys", call: () => post("/v2/escrow.listKeys", {}), needs: ["escrow.*.read_key"] },
  { name: "v2 escrow.exportKey", call: (f) => post("/v2/escrow.exportKey", { escrowKeyId: escrowOf(f), targetPublicKey: TARGET_PUBLIC_KEY }), needs: ["escrow.*.export_key"] },
  { name: "v2 escrow.deleteKey", call: (f) => post("/v2/escrow.deleteKey", { escrowKeyId: escrowOf(f) }), needs: ["escrow.*.delete_key"] },
  // Policies (src/policies/): custody.*.<action>, workspace-wide only; v1 and v2 from one definition each.
  ...(["v1", "v2"] as const).flatMap((v): AuthRoute[] => {
    const read = (path: string, input: Record<string, unknown>) => (v === "v1" ? get(path, input) : post(path, input));
    const label = v === "v1" ? "" : "v2 ";
    return [
      { name: `${label}policies.createPolicy`, call: () => post(`/${v}/policies.createPolicy`, INERT_POLICY), needs: ["custody.*.create_policy"] },
      { name: `${label}policies.getPolicy`, call: (f) => read(`/${v}/policies.getPolicy`, { policyId: policyOf(f) }), needs: ["custody.*.read_policy"] },
      { name: `${label}policies.listPolicies`, call: () => read(`/${v}/policies.listPolicies`, {}), needs: ["custody.*.read_policy"] },
      { name: `${label}policies.updatePolicy`, call: (f) => post(`/${v}/policies.updatePolicy`, { policyId: policyOf(f), notes: "edited" }), needs: ["custody.*.update_policy"] },
      { name: `${label}policies.deletePolicy`, call: (f) => post(`/${v}/policies.deletePolicy`, { policyId: policyOf(f) }), needs: ["custody.*.delete_policy"] },
    ];
  }),
  // Portals (src/portal/): portal.*.<action> or portal.<portalId>.<action>; v1 and v2 from one definition each.
  ...(["v1", "v2"] as const).flatMap((v): AuthRoute[] => {
    const read = (path: string, input: Record<string, unknown>) => (v === "v1" ? get(path, input) : post(path, input));
    const label = v === "v1" ? "" : "v2 ";
    return [
      { name: `${label}portal.createPortal`, call: (f) => post(`/${v}/portal.createPortal`, { name: "matrix", apiIds: [f.apiId] }), needs: ["portal.*.create_portal"] },
      { name: `${label}portal.getPortal`, call: (f) => read(`/${v}/portal.getPortal`, { portalId: portalOf(f) }), needs: ["portal.*.read_portal"] },
      { name: `${label}portal.listPortals`, call: () => read(`/${v}/portal.listPortals`, {}), needs: ["portal.*.read_portal"] },
      { name: `${label}portal.updatePortal`, call: (f) => post(`/${v}/portal.updatePortal`, { portalId: portalOf(f), name: "renamed" }), needs: ["portal.*.update_portal"] },
      { name: `${label}portal.deletePortal`, call: (f) => post(`/${v}/portal.deletePortal`, { portalId: portalOf(f) }), needs: ["portal.*.delete_portal"] },
    ];
  }),
  // Unkey's rule: without the portal permission, the portal is hidden (404); each scope needs what its admin call needs.
  {
    name: "v2 portal.createSession keys:read",
    call: (f) => post("/v2/portal.createSession", { portal: portalOf(f), externalId: ownerOf(f.apiId), scopes: ["keys:read"] }),
    needs: ["read_key", "read_api", "portal.*.create_portal_session"],
    deniedAs: "NOT_FOUND",
  },
];

export const IDENTITY = ["identity.*.create_identity", "identity.*.read_identity", "identity.*.update_identity", "identity.*.delete_identity"];
export const API_ACTIONS = ["create_api", "read_api", "update_api", "delete_api", "create_key", "read_key", "update_key", "delete_key", "verify_key", "encrypt_key", "decrypt_key", "export_key", "read_analytics"];
export const RBAC = [
  "rbac.*.create_root_key",
  "rbac.*.read_root_key",
  "rbac.*.delete_root_key",
  ...["create_permission", "read_permission", "delete_permission", "create_role", "read_role", "delete_role", "add_permission_to_role", "remove_permission_from_role"].map(
    (a) => `rbac.*.${a}`,
  ),
];
export const RATELIMIT = ["ratelimit.*.limit", "ratelimit.*.create_namespace", "ratelimit.*.set_override", "ratelimit.*.read_override", "ratelimit.*.delete_override"];
export const CUSTODY = [
  ...["create_user", "read_user", "delete_user", "read_activity", "approve_activity", "read_root_quorum", "update_root_quorum"].map((a) => `custody.*.${a}`),
  ...["create_policy", "read_policy", "update_policy", "delete_policy"].map((a) => `custody.*.${a}`),
  "audit.*.read_log",
];
export const ESCROW = ["escrow.*.create_key", "escrow.*.read_key", "escrow.*.delete_key", "escrow.*.export_key"];
export const PORTAL = ["create_portal", "read_portal", "update_portal", "delete_portal", "create_portal_session"].map((a) => `portal.*.${a}`);
export const ALL = [...API_ACTIONS.map((a) => `api.*.${a}`), ...RBAC, ...RATELIMIT, ...IDENTITY, ...CUSTODY, ...ESCROW, ...PORTAL];
export const full = (need: string) => (need.includes(".") ? need : `api.*.${need}`);

export function send(h: Harness, call: Call, authorization: string | undefined): Promise<Response> {
  const headers: Record<string, string> = authorization === undefined ? {} : { Authorization: authorization };
  if (call.method === "GET") {
    const query = Object.fromEntries(Object.entries(call.input).map(([k, v]) => [k, String(v)]));
    return h.call("GET", call.path, { query, headers });
  }
  return h.call("POST", call.path, { body: call.input, headers });
}

