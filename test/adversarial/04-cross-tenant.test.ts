import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, test } from "vitest";
import { sql } from "drizzle-orm";
import { executeRows } from "../../src/db/execute-rows.ts";
import { newId } from "../../src/ids.ts";
import { generateKey } from "../../src/keys/key-format.ts";
import { type Harness, type Response, type Workspace, forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope, withoutRequestId } from "../security/envelope.ts";
import { TARGET_PUBLIC_KEY } from "./auth-routes.ts";

/**
 * Workspace B's root keys, used on workspace A's ids, must get exactly the answer a
 * nonexistent id of the same shape gets, and must change nothing. One row per endpoint
 * (and per interesting variant); a new endpoint that takes an id needs a new row, which
 * the coverage test below enforces against the OpenAPI document.
 */

interface Ids {
  apiId: string;
  keyId: string;
  rootKeyId: string;
  key: string;
  /** A disabled key: a foreign verify must say NOT_FOUND, not DISABLED. */
  disabledKey: string;
  /** A rate-limit namespace with an override for `vip` and a counted window (unset: a namespace id never issued). */
  namespaceId?: string;
  /** The identity owning the key, by id and by externalId. */
  identityId: string;
  externalId: string;
  /** A permission and a role of the workspace (permissions.*), by id. */
  permissionId: string;
  roleId: string;
  /** An activity of the workspace (its createKey), by id. */
  activityId: string;
  /** A user of the workspace holding no root key (users.*, createRootKey's userId). */
  userId: string;
  /** An escrow key of the workspace (escrow.*). */
  escrowKeyId: string;
  /** A policy of the workspace (policies.*). */
  policyId: string;
  /** A portal of the workspace (portal.*), showing its API. */
  portalId: string;
}

interface IdRoute {
  name: string;
  method: "GET" | "POST";
  path: string;
  input: (ids: Ids) => Record<string, unknown> | Record<string, unknown>[];
  /** verifyKey answers an unknown key with a 200 verdict, not an error. */
  verdict?: true;
  /** v2's envelope: `{meta: {requestId}, data}`. */
  v2?: true;
  /**
   * Activities are never deleted, and A's own (long completed) one answers approve and reject
   * with 409: the control expects that status, and the "deleted" check has nothing to delete.
   */
  ownStatus?: 409;
  undeletable?: true;
  /** v2 analytics declares no 404: a foreign or missing API reads as one without verifications (200, a row of zeros). */
  emptyRows?: true;
  /**
   * The ids are filters, not references (audit.listLogs): A's id finds nothing in B's workspace,
   * exactly as a missing id (200, an empty page). The trail outlives what it names, so a deleted
   * resource's id may still find entries: no "deleted" comparison for these rows.
   */
  filter?: true;
}

/** The namespace of the ids, or one of the same shape that was never issued. */
const nsOf = (i: Ids) => i.namespaceId ?? newId("rlns");
const limitBody = (i: Ids) => ({ namespace: nsOf(i), identifier: "vip", limit: 100, duration: 60_000 });

const DIGEST = "0".repeat(64);
/** A real P-256 public key: exports check the point before anything is looked up. */
const targetPublicKey = TARGET_PUBLIC_KEY;

const idRoutes: IdRoute[] = [
  { name: "activities.getActivity", method: "GET", path: "/v1/activities.getActivity", input: (i) => ({ activityId: i.activityId }), undeletable: true },
  { name: "v2 activities.getActivity", method: "POST", path: "/v2/activities.getActivity", input: (i) => ({ activityId: i.activityId }), v2: true, undeletable: true },
  { name: "activities.approveActivity", method: "POST", path: "/v1/activities.approveActivity", input: (i) => ({ activityId: i.activityId, digest: DIGEST }), ownStatus: 409, undeletable: true },
  { name: "v2 activities.approveActivity", method: "POST", path: "/v2/activities.approveActivity", input: (i) => ({ activityId: i.activityId, digest: DIGEST }), v2: true, ownStatus: 409, undeletable: true },
  { name: "activities.rejectActivity", method: "POST", path: "/v1/activities.rejectActivity", input: (i) => ({ activityId: i.activityId, digest: DIGEST }), ownStatus: 409, undeletable: true },
  { name: "v2 activities.rejectActivity", method: "POST", path: "/v2/activities.rejectActivity", input: (i) => ({ activityId: i.activityId, digest: DIGEST }), v2: true, ownStatus: 409, undeletable: true },
  { name: "apis.getApi", method: "GET", path: "/v1/apis.getApi", input: (i) => ({ apiId: i.apiId }) },
  { name: "apis.updateApi", method: "POST", path: "/v1/apis.updateApi", input: (i) => ({ apiId: i.apiId, name: "taken over", recovery: { enabled: true } }) },
  { name: "apis.deleteApi", method: "POST", path: "/v1/apis.deleteApi", input: (i) => ({ apiId: i.apiId }) },
  { name: "apis.listKeys", method: "GET", path: "/v1/apis.listKeys", input: (i) => ({ apiId: i.apiId }) },
  { name: "apis.listKeys decrypt", method: "GET", path: "/v1/apis.listKeys", input: (i) => ({ apiId: i.apiId, decrypt: "true", limit: "100" }) },
  { name: "apis.listKeys by owner", method: "GET", path: "/v1/apis.listKeys", input: (i) => ({ apiId: i.apiId, ownerId: "owner-a" }) },
  { name: "apis.deleteKeys", method: "POST", path: "/v1/apis.deleteKeys", input: (i) => ({ apiId: i.apiId }) },
  { name: "apis.deleteKeys permanent", method: "POST", path: "/v1/apis.deleteKeys", input: (i) => ({ apiId: i.apiId, permanent: true }) },
  { name: "keys.createKey", method: "POST", path: "/v1/keys.createKey", input: (i) => ({ apiId: i.apiId, name: "planted", prefix: "ka" }) },
  { name: "keys.getKey", method: "GET", path: "/v1/keys.getKey", input: (i) => ({ keyId: i.keyId }) },
  { name: "keys.getKey decrypt", method: "GET", path: "/v1/keys.getKey", input: (i) => ({ keyId: i.keyId, decrypt: "true" }) },
  {
    name: "keys.updateKey",
    method: "POST",
    path: "/v1/keys.updateKey",
    input: (i) => ({ keyId: i.keyId, name: "pwned", enabled: false, remaining: 0, meta: { owner: "b" }, permissions: ["admin"] }),
  },
  { name: "keys.updateRemaining set", method: "POST", path: "/v1/keys.updateRemaining", input: (i) => ({ keyId: i.keyId, op: "set", value: 0 }) },
  { name: "keys.updateRemaining decrement", method: "POST", path: "/v1/keys.updateRemaining", input: (i) => ({ keyId: i.keyId, op: "decrement", value: 1 }) },
  { name: "keys.deleteKey", method: "POST", path: "/v1/keys.deleteKey", input: (i) => ({ keyId: i.keyId }) },
  { name: "keys.deleteKey permanent", method: "POST", path: "/v1/keys.deleteKey", input: (i) => ({ keyId: i.keyId, permanent: true }) },
  { name: "keys.verifyKey", method: "POST", path: "/v1/keys.verifyKey", input: (i) => ({ key: i.key }), verdict: true },
  { name: "keys.verifyKey with apiId", method: "POST", path: "/v1/keys.verifyKey", input: (i) => ({ key: i.key, apiId: i.apiId }), verdict: true },
  {
    name: "keys.verifyKey spending",
    method: "POST",
    path: "/v1/keys.verifyKey",
    input: (i) => ({ key: i.key, remaining: { cost: 1 }, ratelimits: [{ name: "extra", limit: 1, duration: 60_000 }] }),
    verdict: true,
  },
  { name: "keys.verifyKey of a disabled key", method: "POST", path: "/v1/keys.verifyKey", input: (i) => ({ key: i.disabledKey }), verdict: true },
  { name: "rootKeys.deleteRootKey", method: "POST", path: "/v1/rootKeys.deleteRootKey", input: (i) => ({ keyId: i.rootKeyId }) },
  // Unkey v2 (src/api/v2/): the same wall through the v2 adapters.
  { name: "v2 apis.getApi", method: "POST", path: "/v2/apis.getApi", input: (i) => ({ apiId: i.apiId }) },
  { name: "v2 apis.deleteApi", method: "POST", path: "/v2/apis.deleteApi", input: (i) => ({ apiId: i.apiId }) },
  { name: "v2 apis.listKeys", method: "POST", path: "/v2/apis.listKeys", input: (i) => ({ apiId: i.apiId }) },
  { name: "v2 apis.listKeys decrypt", method: "POST", path: "/v2/apis.listKeys", input: (i) => ({ apiId: i.apiId, decrypt: true, limit: 100 }) },
  { name: "v2 apis.listKeys by externalId", method: "POST", path: "/v2/apis.listKeys", input: (i) => ({ apiId: i.apiId, externalId: "owner-a" }) },
  { name: "v2 keys.createKey", method: "POST", path: "/v2/keys.createKey", input: (i) => ({ apiId: i.apiId, name: "planted", prefix: "ka" }) },
  { name: "v2 keys.getKey", method: "POST", path: "/v2/keys.getKey", input: (i) => ({ keyId: i.keyId }) },
  { name: "v2 keys.getKey decrypt", method: "POST", path: "/v2/keys.getKey", input: (i) => ({ keyId: i.keyId, decrypt: true }) },
  {
    name: "v2 keys.updateKey",
    method: "POST",
    path: "/v2/keys.updateKey",
    input: (i) => ({ keyId: i.keyId, name: "pwned", enabled: false, credits: { remaining: 0 }, ratelimits: [], permissions: ["admin"] }),
  },
  { name: "v2 keys.updateCredits", method: "POST", path: "/v2/keys.updateCredits", input: (i) => ({ keyId: i.keyId, operation: "set", value: 0 }) },
  { name: "v2 keys.deleteKey", method: "POST", path: "/v2/keys.deleteKey", input: (i) => ({ keyId: i.keyId }) },
  { name: "v2 keys.deleteKey permanent", method: "POST", path: "/v2/keys.deleteKey", input: (i) => ({ keyId: i.keyId, permanent: true }) },
  { name: "v2 keys.whoami", method: "POST", path: "/v2/keys.whoami", input: (i) => ({ key: i.key }) },
  { name: "v2 keys.addPermissions", method: "POST", path: "/v2/keys.addPermissions", input: (i) => ({ keyId: i.keyId, permissions: ["admin"] }) },
  { name: "v2 keys.removePermissions", method: "POST", path: "/v2/keys.removePermissions", input: (i) => ({ keyId: i.keyId, permissions: ["read"] }) },
  { name: "v2 keys.setPermissions", method: "POST", path: "/v2/keys.setPermissions", input: (i) => ({ keyId: i.keyId, permissions: [] }) },
  { name: "v2 keys.addRoles", method: "POST", path: "/v2/keys.addRoles", input: (i) => ({ keyId: i.keyId, roles: ["admin"] }) },
  { name: "v2 keys.removeRoles", method: "POST", path: "/v2/keys.removeRoles", input: (i) => ({ keyId: i.keyId, roles: ["reader"] }) },
  { name: "v2 keys.setRoles", method: "POST", path: "/v2/keys.setRoles", input: (i) => ({ keyId: i.keyId, roles: [] }) },
  { name: "v2 keys.verifyKey", method: "POST", path: "/v2/keys.verifyKey", input: (i) => ({ key: i.key }), verdict: true, v2: true },
  {
    name: "v2 keys.verifyKey spending",
    method: "POST",
    path: "/v2/keys.verifyKey",
    input: (i) => ({ key: i.key, credits: { cost: 1 }, ratelimits: [{ name: "extra", limit: 1, duration: 60_000 }] }),
    verdict: true,
    v2: true,
  },
  { name: "v2 keys.verifyKey of a disabled key", method: "POST", path: "/v2/keys.verifyKey", input: (i) => ({ key: i.disabledKey }), verdict: true, v2: true },
  { name: "v2 keys.rerollKey", method: "POST", path: "/v2/keys.rerollKey", input: (i) => ({ keyId: i.keyId, expiration: 0 }) },
  {
    name: "v2 keys.migrateKeys",
    method: "POST",
    path: "/v2/keys.migrateKeys",
    input: (i) => ({ migrationId: "sha256_hex", apiId: i.apiId, keys: [{ hash: freshHash("hex"), name: "planted" }] }),
  },
  {
    name: "migrations.createKeys",
    method: "POST",
    path: "/v1/migrations.createKeys",
    input: (i) => [{ apiId: i.apiId, hash: { value: freshHash("base64"), variant: "sha256_base64" }, name: "planted" }],
  },
  // Standalone rate limits: a namespace id that is not the caller's is NOT_FOUND, never a new namespace of that name.
  { name: "ratelimits.limit", method: "POST", path: "/v1/ratelimits.limit", input: (i) => limitBody(i) },
  { name: "ratelimits.setOverride", method: "POST", path: "/v1/ratelimits.setOverride", input: (i) => ({ namespaceId: nsOf(i), identifier: "vip", limit: 0, duration: 60_000 }) },
  { name: "ratelimits.getOverride", method: "GET", path: "/v1/ratelimits.getOverride", input: (i) => ({ namespaceId: nsOf(i), identifier: "vip" }) },
  { name: "ratelimits.listOverrides", method: "GET", path: "/v1/ratelimits.listOverrides", input: (i) => ({ namespaceId: nsOf(i) }) },
  { name: "ratelimits.deleteOverride", method: "POST", path: "/v1/ratelimits.deleteOverride", input: (i) => ({ namespaceId: nsOf(i), identifier: "vip" }) },
  { name: "v2 ratelimit.limit", method: "POST", path: "/v2/ratelimit.limit", input: (i) => limitBody(i) },
  { name: "v2 ratelimit.multiLimit", method: "POST", path: "/v2/ratelimit.multiLimit", input: (i) => [limitBody(i)] },
  { name: "v2 ratelimit.setOverride", method: "POST", path: "/v2/ratelimit.setOverride", input: (i) => ({ namespace: nsOf(i), identifier: "vip", limit: 0, duration: 60_000 }) },
  { name: "v2 ratelimit.getOverride", method: "POST", path: "/v2/ratelimit.getOverride", input: (i) => ({ namespace: nsOf(i), identifier: "vip" }) },
  { name: "v2 ratelimit.listOverrides", method: "POST", path: "/v2/ratelimit.listOverrides", input: (i) => ({ namespace: nsOf(i) }) },
  { name: "v2 ratelimit.deleteOverride", method: "POST", path: "/v2/ratelimit.deleteOverride", input: (i) => ({ namespace: nsOf(i), identifier: "vip" }) },
  // Identities, by id and by externalId: another workspace's is as absent as one never made.
  { name: "identities.getIdentity", method: "GET", path: "/v1/identities.getIdentity", input: (i) => ({ identityId: i.identityId }) },
  { name: "identities.getIdentity by externalId", method: "GET", path: "/v1/identities.getIdentity", input: (i) => ({ externalId: i.externalId }) },
  {
    name: "identities.updateIdentity",
    method: "POST",
    path: "/v1/identities.updateIdentity",
    input: (i) => ({ identityId: i.identityId, meta: { pwned: true }, ratelimits: [{ name: "r", limit: 1, duration: 60_000 }] }),
  },
  { name: "identities.updateIdentity by externalId", method: "POST", path: "/v1/identities.updateIdentity", input: (i) => ({ externalId: i.externalId, meta: {} }) },
  { name: "identities.deleteIdentity", method: "POST", path: "/v1/identities.deleteIdentity", input: (i) => ({ identityId: i.identityId }) },
  { name: "v2 identities.getIdentity", method: "POST", path: "/v2/identities.getIdentity", input: (i) => ({ identity: i.identityId }) },
  { name: "v2 identities.getIdentity by externalId", method: "POST", path: "/v2/identities.getIdentity", input: (i) => ({ identity: i.externalId }) },
  {
    name: "v2 identities.updateIdentity",
    method: "POST",
    path: "/v2/identities.updateIdentity",
    input: (i) => ({ identity: i.externalId, meta: { pwned: true }, ratelimits: [] }),
  },
  { name: "v2 identities.deleteIdentity", method: "POST", path: "/v2/identities.deleteIdentity", input: (i) => ({ identity: i.identityId }) },
  { name: "v2 identities.deleteIdentity by externalId", method: "POST", path: "/v2/identities.deleteIdentity", input: (i) => ({ identity: i.externalId }) },
  // v1's key edits name permissions and roles by reference.
  { name: "keys.addPermissions", method: "POST", path: "/v1/keys.addPermissions", input: (i) => ({ keyId: i.keyId, permissions: [{ name: "admin", create: true }] }) },
  { name: "keys.removePermissions", method: "POST", path: "/v1/keys.removePermissions", input: (i) => ({ keyId: i.keyId, permissions: [{ name: "read" }] }) },
  { name: "keys.setPermissions", method: "POST", path: "/v1/keys.setPermissions", input: (i) => ({ keyId: i.keyId, permissions: [] }) },
  { name: "keys.addRoles", method: "POST", path: "/v1/keys.addRoles", input: (i) => ({ keyId: i.keyId, roles: [{ name: "admin", create: true }] }) },
  { name: "keys.removeRoles", method: "POST", path: "/v1/keys.removeRoles", input: (i) => ({ keyId: i.keyId, roles: [{ name: "reader" }] }) },
  { name: "keys.setRoles", method: "POST", path: "/v1/keys.setRoles", input: (i) => ({ keyId: i.keyId, roles: [] }) },
  // The workspace's permissions and roles (src/rbac/), by id.
  { name: "permissions.getPermission", method: "GET", path: "/v1/permissions.getPermission", input: (i) => ({ permissionId: i.permissionId }) },
  { name: "permissions.deletePermission", method: "POST", path: "/v1/permissions.deletePermission", input: (i) => ({ permissionId: i.permissionId }) },
  { name: "permissions.getRole", method: "GET", path: "/v1/permissions.getRole", input: (i) => ({ roleId: i.roleId }) },
  { name: "permissions.deleteRole", method: "POST", path: "/v1/permissions.deleteRole", input: (i) => ({ roleId: i.roleId }) },
  { name: "v2 permissions.getPermission", method: "POST", path: "/v2/permissions.getPermission", input: (i) => ({ permission: i.permissionId }) },
  { name: "v2 permissions.deletePermission", method: "POST", path: "/v2/permissions.deletePermission", input: (i) => ({ permission: i.permissionId }) },
  { name: "v2 permissions.getRole", method: "POST", path: "/v2/permissions.getRole", input: (i) => ({ role: i.roleId }) },
  { name: "v2 permissions.deleteRole", method: "POST", path: "/v2/permissions.deleteRole", input: (i) => ({ role: i.roleId }) },
  { name: "v2 permissions.setRolePermissions", method: "POST", path: "/v2/permissions.setRolePermissions", input: (i) => ({ roleId: i.roleId, permissions: ["planted"] }) },
  { name: "analytics.getVerifications", method: "GET", path: "/v1/analytics.getVerifications", input: (i) => ({ apiId: i.apiId, groupBy: "key" }) },
  { name: "analytics.getVerifications by key", method: "GET", path: "/v1/analytics.getVerifications", input: (i) => ({ apiId: i.apiId, keyId: i.keyId }) },
  { name: "keys.getVerifications", method: "GET", path: "/v1/keys.getVerifications", input: (i) => ({ keyId: i.keyId }) },
  { name: "v2 analytics.getVerifications", method: "POST", path: "/v2/analytics.getVerifications", input: (i) => ({ apiId: i.apiId }), v2: true, emptyRows: true },
  {
    name: "v2 analytics.getVerifications by key",
    method: "POST",
    path: "/v2/analytics.getVerifications",
    input: (i) => ({ apiId: i.apiId, keyId: i.keyId, groupBy: ["key", "day"] }),
    v2: true,
    emptyRows: true,
  },
  { name: "v2 analytics.getVerifications by externalId", method: "POST", path: "/v2/analytics.getVerifications", input: (i) => ({ externalId: i.externalId }), v2: true, emptyRows: true },  // Custody: users by id, root keys given to a user, the audit trail filtered by ids.
  { name: "users.getUser", method: "GET", path: "/v1/users.getUser", input: (i) => ({ userId: i.userId }) },
  { name: "users.deleteUser", method: "POST", path: "/v1/users.deleteUser", input: (i) => ({ userId: i.userId }) },
  { name: "v2 users.getUser", method: "POST", path: "/v2/users.getUser", input: (i) => ({ userId: i.userId }), v2: true },
  { name: "v2 users.deleteUser", method: "POST", path: "/v2/users.deleteUser", input: (i) => ({ userId: i.userId }), v2: true },
  { name: "rootKeys.createRootKey for a user", method: "POST", path: "/v1/rootKeys.createRootKey", input: (i) => ({ name: "planted", permissions: ["rbac.*.read_root_key"], userId: i.userId }) },
  { name: "audit.listLogs by key, user and root key", method: "GET", path: "/v1/audit.listLogs", input: (i) => ({ keyId: i.keyId, userId: i.userId, rootKeyId: i.rootKeyId }), filter: true },
  { name: "v2 audit.listLogs by key", method: "POST", path: "/v2/audit.listLogs", input: (i) => ({ keyId: i.keyId }), v2: true, filter: true },
  { name: "v2 analytics.getVerifications by externalId", method: "POST", path: "/v2/analytics.getVerifications", input: (i) => ({ externalId: i.externalId }), v2: true, emptyRows: true },
  // Export to the caller's key and escrow keys (issue 13): a foreign id is NOT_FOUND before any permission or vault call.
  { name: "keys.exportKey", method: "POST", path: "/v1/keys.exportKey", input: (i) => ({ keyId: i.keyId, targetPublicKey }) },
  { name: "v2 keys.exportKey", method: "POST", path: "/v2/keys.exportKey", input: (i) => ({ keyId: i.keyId, targetPublicKey }) },
  { name: "escrow.getKey", method: "GET", path: "/v1/escrow.getKey", input: (i) => ({ escrowKeyId: i.escrowKeyId }) },
  { name: "escrow.exportKey", method: "POST", path: "/v1/escrow.exportKey", input: (i) => ({ escrowKeyId: i.escrowKeyId, targetPublicKey }) },
  { name: "escrow.deleteKey", method: "POST", path: "/v1/escrow.deleteKey", input: (i) => ({ escrowKeyId: i.escrowKeyId }) },
  { name: "v2 escrow.getKey", method: "POST", path: "/v2/escrow.getKey", input: (i) => ({ escrowKeyId: i.escrowKeyId }) },
  { name: "v2 escrow.exportKey", method: "POST", path: "/v2/escrow.exportKey", input: (i) => ({ escrowKeyId: i.escrowKeyId, targetPublicKey }) },
  { name: "v2 escrow.deleteKey", method: "POST", path: "/v2/escrow.deleteKey", input: (i) => ({ escrowKeyId: i.escrowKeyId }) },
  // Policies, by id: another workspace's is as absent as one never made (v1 reads are GETs).
  { name: "policies.getPolicy", method: "GET", path: "/v1/policies.getPolicy", input: (i) => ({ policyId: i.policyId }) },
  { name: "policies.updatePolicy", method: "POST", path: "/v1/policies.updatePolicy", input: (i) => ({ policyId: i.policyId, effect: "ALLOW", condition: "activity.type == 'NO_SUCH_ACTIVITY'" }) },
  { name: "policies.deletePolicy", method: "POST", path: "/v1/policies.deletePolicy", input: (i) => ({ policyId: i.policyId }) },
  { name: "v2 policies.getPolicy", method: "POST", path: "/v2/policies.getPolicy", input: (i) => ({ policyId: i.policyId }) },
  { name: "v2 policies.updatePolicy", method: "POST", path: "/v2/policies.updatePolicy", input: (i) => ({ policyId: i.policyId, consensus: "" }) },
  { name: "v2 policies.deletePolicy", method: "POST", path: "/v2/policies.deletePolicy", input: (i) => ({ policyId: i.policyId }) },
  // Portals (src/portal/): v1 and v2 from one definition; createSession is Unkey's (v2 only).
  ...(["v1", "v2"] as const).flatMap((v): IdRoute[] => [
    { name: `${v} portal.createPortal`, method: "POST", path: `/${v}/portal.createPortal`, input: (i) => ({ name: "p", apiIds: [i.apiId] }), ...(v === "v2" && { v2: true as const }) },
    { name: `${v} portal.getPortal`, method: v === "v1" ? "GET" : "POST", path: `/${v}/portal.getPortal`, input: (i) => ({ portalId: i.portalId }), ...(v === "v2" && { v2: true as const }) },
    { name: `${v} portal.updatePortal`, method: "POST", path: `/${v}/portal.updatePortal`, input: (i) => ({ portalId: i.portalId, name: "renamed" }), ...(v === "v2" && { v2: true as const }) },
    { name: `${v} portal.deletePortal`, method: "POST", path: `/${v}/portal.deletePortal`, input: (i) => ({ portalId: i.portalId }), ...(v === "v2" && { v2: true as const }) },
  ]),
  { name: "v2 portal.createSession", method: "POST", path: "/v2/portal.createSession", input: (i) => ({ portal: i.portalId, externalId: i.externalId, scopes: ["keys:read"] }), v2: true },
];

/** A fresh portal of `ws` showing `apiId`. */
async function portalOf(h: Harness, ws: Workspace, apiId: string): Promise<string> {
  const res = await h.post("/v2/portal.createPortal", { name: "tenant", apiIds: [apiId] }, ws.rootKey);
  if (res.status !== 200) throw new Error(`portal fixture: ${JSON.stringify(res.body)}`);
  return res.body.data.portalId;
}

/**
 * Routes a portal session calls, never a root key: B's root keys are no session anywhere (401
 * alike). Their isolation (another identity's, API's, workspace's key) is test/portal/isolation.test.ts.
 */
const sessionRoutes: Record<string, string> = {
  "/v2/portal.listKeys": "the session's own keys only",
  "/v2/portal.getVerifications": "the session identity's counts only",
  "/v2/portal.rerollKey": "the session identity's keys only",
  "/v2/portal.revealKey": "the session identity's keys only",
  "/v2/portal.createKey": "a key of the session identity's own, in the portal's APIs only",
  "/v2/portal.getActivity": "the session's own activities only (test/portal/approvals.test.ts)",
};

/** A fresh policy of `ws`, with a consensus a foreign update would clear. */
async function policyOf(h: Harness, ws: Workspace): Promise<string> {
  const res = await h.post("/v2/policies.createPolicy", { name: "a's", effect: "DENY", condition: "activity.type == 'NO_SUCH_ACTIVITY'", consensus: "size(approvers) >= 2" }, ws.rootKey);
  if (res.status !== 200) throw new Error(`policy fixture: ${JSON.stringify(res.body)}`);
  return res.body.data.policyId;
}

/** A namespace of `ws` with an override for `vip` and one counted window: what the ratelimit rows aim at. */
async function namespaceWithOverride(h: Harness, ws: Workspace, name: string): Promise<string> {
  expect((await h.post("/v2/ratelimit.limit", { namespace: name, identifier: "counted", limit: 100, duration: 60_000 }, ws.rootKey)).status).toBe(200);
  expect((await h.post("/v2/ratelimit.setOverride", { namespace: name, identifier: "vip", limit: 5, duration: 60_000 }, ws.rootKey)).status).toBe(200);
  const [row] = await executeRows<{ id: string }>(h.db, sql`select id from ratelimit_namespaces where workspace_id = ${ws.workspaceId} and name = ${name}`);
  return row!.id;
}

/** A fresh permission and role of `ws`, for rows that delete or change them. */
async function rbacIds(h: Harness, ws: Workspace): Promise<Pick<Ids, "permissionId" | "roleId">> {
  const suffix = randomBytes(4).toString("hex");
  const permission = await h.post("/v2/permissions.createPermission", { name: "p", slug: `p.${suffix}` }, ws.rootKey);
  const role = await h.post("/v2/permissions.createRole", { name: `r-${suffix}`, permissions: [`p.${suffix}`] }, ws.rootKey);
  if (permission.status !== 200 || role.status !== 200) throw new Error(`rbac fixture: ${JSON.stringify([permission.body, role.body])}`);
  return { permissionId: permission.body.data.permissionId, roleId: role.body.data.roleId };
}

/** A new escrow key of `ws` (made in its vault). */
async function escrowKeyOf(h: Harness, ws: Workspace): Promise<string> {
  const res = await h.post("/v2/escrow.createKey", { name: "tenant" }, ws.rootKey);
  if (res.status !== 200) throw new Error(`escrow fixture: ${JSON.stringify(res.body)}`);
  return res.body.data.escrowKeyId;
}

/** A hash nobody holds, for import rows (each call its own, so a control import never collides). */
function freshHash(encoding: "hex" | "base64"): string {
  return randomBytes(32).toString(encoding);
}

/** A user of `ws` holding no root key. */
async function spareUser(h: Harness, ws: Workspace): Promise<string> {
  const res = await h.post("/v2/users.createUser", { name: "spare" }, ws.rootKey);
  if (res.status !== 200) throw new Error(`user fixture: ${JSON.stringify(res.body)}`);
  return res.body.data.userId;
}

/** The items of a list answer: v2's `data`, v1's one array field. */
const listed = (route: IdRoute, res: Response): unknown => (route.v2 ? res.body.data : Object.values(res.body ?? {}).find(Array.isArray));

/** A body for "indistinguishable" comparisons: without its request id, in either envelope. */
const comparable = (route: IdRoute, res: Response): unknown => (route.v2 ? { ...res.body, meta: Object.keys(res.body?.meta ?? {}) } : withoutRequestId(res.body));
const verdictCode = (route: IdRoute, res: Response): unknown => (route.v2 ? res.body.data?.code : res.body.code);

/** An API without verifications: one row of zeros, or none when grouped. */
function emptyRows(route: IdRoute): unknown[] {
  const input = route.input({ apiId: "", keyId: "", rootKeyId: "", key: "", disabledKey: "", identityId: "", externalId: "", permissionId: "", roleId: "", userId: "", activityId: "", escrowKeyId: "", policyId: "", portalId: "" }) as { groupBy?: unknown };
  if (input.groupBy !== undefined) return [];
  return [{ valid: 0, notFound: 0, forbidden: 0, usageExceeded: 0, rateLimited: 0, unauthorized: 0, disabled: 0, insufficientPermissions: 0, expired: 0, total: 0 }];
}

/** Registered routes that take no id of an existing resource, and why they need no row. */
const routesWithoutIds: Record<string, string> = {
  "/v1/liveness": "no id, no root key",
  "/v2/liveness": "no id, no root key",
  "/v2/apis.createApi": "creates in the caller's own workspace (as v1's)",
  "/readyz": "readiness probe: no id, no root key",
  "/v1/apis.createApi": "creates in the caller's own workspace (checked below)",
  "/v1/rootKeys.listRootKeys": "lists the caller's own workspace (checked below)",
  "/v1/identities.createIdentity": "creates in the caller's own workspace (checked below)",
  "/v2/identities.createIdentity": "creates in the caller's own workspace (checked below)",
  "/v1/identities.listIdentities": "lists the caller's own workspace (checked below)",
  "/v2/identities.listIdentities": "lists the caller's own workspace (checked below)",
  "/v1/permissions.createPermission": "creates in the caller's own workspace",
  "/v1/permissions.createRole": "creates in the caller's own workspace",
  "/v1/permissions.listPermissions": "lists the caller's own workspace (checked below)",
  "/v1/permissions.listRoles": "lists the caller's own workspace (checked below)",
  "/v2/permissions.createPermission": "creates in the caller's own workspace",
  "/v2/permissions.createRole": "creates in the caller's own workspace",
  "/v2/permissions.listPermissions": "lists the caller's own workspace (checked below)",
  "/v2/permissions.listRoles": "lists the caller's own workspace (checked below)",
  "/v1/activities.listActivities": "lists the caller's own workspace",
  "/v2/activities.listActivities": "lists the caller's own workspace",
  "/v1/workspaces.getRootQuorum": "the caller's own workspace",
  "/v2/workspaces.getRootQuorum": "the caller's own workspace",
  "/v1/workspaces.updateRootQuorum": "the caller's own workspace",
  "/v2/workspaces.updateRootQuorum": "the caller's own workspace",
  "/v1/users.createUser": "creates in the caller's own workspace",
  "/v2/users.createUser": "creates in the caller's own workspace",
  "/v1/users.listUsers": "lists the caller's own workspace (checked below)",
  "/v2/users.listUsers": "lists the caller's own workspace (checked below)",
  "/v1/escrow.createKey": "creates in the caller's own workspace",
  "/v2/escrow.createKey": "creates in the caller's own workspace",
  "/v1/escrow.listKeys": "lists the caller's own workspace (checked below)",
  "/v2/escrow.listKeys": "lists the caller's own workspace (checked below)",
  "/v1/policies.createPolicy": "creates in the caller's own workspace",
  "/v2/policies.createPolicy": "creates in the caller's own workspace",
  "/v1/policies.listPolicies": "lists the caller's own workspace (checked below)",
  "/v2/policies.listPolicies": "lists the caller's own workspace (checked below)",
  "/v1/portal.listPortals": "lists the caller's own workspace (checked below)",
  "/v2/portal.listPortals": "lists the caller's own workspace (checked below)",
  "/v2/portal.exchangeCode": "takes a code, not an id, and no root key (test/portal/sessions.test.ts)",
};

/** Request fields that name an existing resource: a route with one of them needs a row above. */
const ID_FIELDS = ["apiId", "keyId", "key", "identityId", "identity", "permissionId", "roleId", "permission", "role", "userId", "rootKeyId", "activityId", "escrowKeyId", "policyId", "portalId", "portal"];

/** Every per-API action, so the targeted key below is refused only by the workspace wall. */
const RBAC_ACTIONS = ["read_permission", "delete_permission", "read_role", "delete_role", "add_permission_to_role", "remove_permission_from_role", "create_permission"].map((a) => `rbac.*.${a}`);
const CUSTODY_ACTIONS = [
  ...["read_user", "delete_user", "read_activity", "approve_activity", "read_policy", "update_policy", "delete_policy"].map((a) => `custody.*.${a}`),
  "rbac.*.create_root_key",
  "audit.*.read_log",
];
const PORTAL_ACTIONS = ["read_portal", "update_portal", "delete_portal", "create_portal_session"];
const API_ACTIONS = ["read_api", "update_api", "delete_api", "create_key", "read_key", "update_key", "delete_key", "verify_key", "encrypt_key", "decrypt_key", "export_key", "read_analytics"];

function send(h: Harness, route: IdRoute, ids: Ids, token: string): Promise<Response> {
  const input = route.input(ids);
  if (route.method === "GET" && !Array.isArray(input)) {
    return h.get(route.path, Object.fromEntries(Object.entries(input).map(([k, v]) => [k, String(v)])), token);
  }
  return h.post(route.path, input, token);
}

// With a vault: the export and escrow rows' controls need one.
forEachDatabase("cross-tenant isolation", (h) => crossTenantSuite(h, idRoutes, true), { vault: true });
// The verify cache holds key records by hash: the workspace wall and deletions must hold through it as well.
forEachDatabase("cross-tenant isolation, verify cache on", (h) => crossTenantSuite(h, idRoutes.filter((r) => r.verdict), false), { cache: true });

async function firstActivity(h: Harness, ws: Workspace): Promise<string> {
  return (await h.get("/v1/activities.listActivities", { limit: "1" }, ws.rootKey)).body.activities[0].activityId;
}

/** `full`: also the checks that do not depend on the verify path (run once, without the cache). */
function crossTenantSuite(h: () => Harness, rows: IdRoute[], full: boolean): void {
  let a: Workspace;
  let b: Workspace;
  let idsA: Ids;
  let idsB: Ids;
  const tokensOfB: { name: string; token: () => string }[] = [];

  beforeAll(async () => {
    a = await h().workspace();
    b = await h().workspace();
    const apiA = await h().createApi(a, "api-a");
    // A's key has credits, a rate limit, owner, meta and permissions: a foreign verify or
    // update that leaked through would leave a trace in the snapshot.
    const keyA = await h().createKey(a, apiA, {
      prefix: "ka",
      name: "key-a",
      ownerId: "owner-a",
      meta: { tenant: "a" },
      remaining: 100,
      ratelimit: { limit: 100, duration: 60_000 },
      permissions: ["read"],
      roles: ["reader"],
    });
    for (let i = 0; i < 3; i++) await h().createKey(a, apiA, { prefix: "ka", ownerId: "owner-a" });
    const rootA = await h().rootKey(a, ["api.*.read_key"]);
    const disabledA = await h().createKey(a, apiA, { prefix: "ka", enabled: false });
    const namespaceA = await namespaceWithOverride(h(), a, "ns-a");
    // A's identity has meta and a shared limit, which a foreign update would change.
    const identityA = (await h().post("/v2/identities.getIdentity", { identity: "owner-a" }, a.rootKey)).body.data.id as string;
    await h().post("/v2/identities.updateIdentity", { identity: identityA, meta: { tenant: "a" }, ratelimits: [{ name: "org", limit: 100, duration: 60_000, autoApply: true }] }, a.rootKey);
    // A's role grants a permission and is held by A's key: a foreign delete or change would reach the key.
    const rbacA = await rbacIds(h(), a);
    expect((await h().post("/v2/keys.addRoles", { keyId: keyA.keyId, roles: [(await h().post("/v2/permissions.getRole", { role: rbacA.roleId }, a.rootKey)).body.data.name] }, a.rootKey)).status).toBe(200);

    const escrowA = full ? await escrowKeyOf(h(), a) : newId("esc");
    idsA = { apiId: apiA, keyId: keyA.keyId, rootKeyId: rootA.keyId, key: keyA.key, disabledKey: disabledA.key, namespaceId: namespaceA, identityId: identityA, externalId: "owner-a", userId: await spareUser(h(), a), ...rbacA, activityId: await firstActivity(h(), a), escrowKeyId: escrowA, policyId: await policyOf(h(), a), portalId: await portalOf(h(), a, apiA) };

    const apiB = await h().createApi(b, "api-b");
    const keyB = await h().createKey(b, apiB, { prefix: "ka" });
    const escrowB = full ? await escrowKeyOf(h(), b) : newId("esc");
    idsB = { apiId: apiB, keyId: keyB.keyId, rootKeyId: b.rootKeyId, key: keyB.key, disabledKey: keyB.key, identityId: "", externalId: "", userId: b.userId, ...(await rbacIds(h(), b)), activityId: await firstActivity(h(), b), escrowKeyId: escrowB, policyId: await policyOf(h(), b), portalId: await portalOf(h(), b, apiB) };
    // A root key of B that names A's API explicitly: permissions cannot reach across workspaces.
    const targeted = await h().rootKey(b, [...API_ACTIONS.map((action) => `api.${apiA}.${action}`), "rbac.*.delete_root_key", "rbac.*.read_root_key", ...RBAC_ACTIONS, ...CUSTODY_ACTIONS, "portal.*.create_portal", ...PORTAL_ACTIONS.map((action) => `portal.${idsA.portalId}.${action}`)]);
    tokensOfB.push({ name: "B's `*` root key", token: () => b.rootKey }, { name: "B's key naming A's API", token: () => targeted.key });
    // Warm the verify cache (when there is one) with A's keys, so foreign verifies can hit it.
    await h().verify(keyA.key);
    await h().verify(disabledA.key);
  });

  /** Ids of the same shape as A's that were never issued. */
  const missingIds = (): Ids => ({
    apiId: newId("api"),
    keyId: newId("key"),
    rootKeyId: newId("rk"),
    key: generateKey({ prefix: "ka" }),
    disabledKey: generateKey({ prefix: "ka" }),
    identityId: newId("id"),
    externalId: `never-${randomBytes(6).toString("hex")}`,
    permissionId: newId("key").replace("key_", "perm_"),
    activityId: newId("act"),
    roleId: newId("key").replace("key_", "role_"),
    userId: newId("usr"),
    escrowKeyId: newId("esc"),
    policyId: newId("pol"),
    portalId: newId("ptl"),
  });

  describe.each([0, 1])("with token %i", (tokenIndex) => {
    test.each(rows.map((r) => [r.name, r] as const))("%s: A's id answers like a missing id and changes nothing", async (_, route) => {
      const { name, token } = tokensOfB[tokenIndex]!;
      const context = `${route.name} with ${name}`;
      const before = await h().snapshot();
      const foreign = await send(h(), route, idsA, token());
      const missing = await send(h(), route, missingIds(), token());

      expect(foreign.status, context).toBe(missing.status);
      expect(comparable(route, foreign), context).toEqual(comparable(route, missing));
      expect(foreign.headers.get("Content-Type")).toBe(missing.headers.get("Content-Type"));
      if (route.verdict) {
        expect(foreign.status, context).toBe(200);
        const requestId = foreign.headers.get("X-Request-Id");
        const notFound = { valid: false, code: "NOT_FOUND" };
        expect(foreign.body, context).toEqual(route.v2 ? { meta: { requestId }, data: notFound } : { ...notFound, requestId });
      } else if (route.emptyRows) {
        expect(foreign.status, context).toBe(200);
        expect(foreign.body.data, context).toEqual(emptyRows(route));
      } else if (route.filter) {
        expect(foreign.status, context).toBe(200);
        expect(listed(route, foreign), context).toEqual([]);
      } else {
        expectErrorEnvelope(foreign, "NOT_FOUND", context);
        expectErrorEnvelope(missing, "NOT_FOUND", context);
      }
      // Nothing in the message or anywhere else names A's resources.
      const text = JSON.stringify(foreign.body);
      for (const value of Object.values(idsA)) expect(text).not.toContain(value);
      expect(await h().snapshot(), context).toEqual(before);
    });
  });

  test("control: every row succeeds for A's own root key on fresh resources", async () => {
    for (const route of rows) {
      // An export needs a recoverable key; the other rows are indifferent to it.
      const exports = route.path.endsWith("keys.exportKey");
      const apiId = exports ? await h().recoverableApi(a) : await h().createApi(a, "control");
      const { keyId, key } = await h().createKey(a, apiId, { prefix: "ka", remaining: 10, ratelimit: { limit: 10, duration: 60_000 }, ...(exports && { recoverable: true }) });
      const { keyId: rootKeyId } = await h().rootKey(a, ["api.*.read_key"]);
      const { key: disabledKey } = await h().createKey(a, apiId, { enabled: false });
      const namespaceId = await namespaceWithOverride(h(), a, `control-${apiId}`);
      const externalId = `control-${apiId}`;
      const { identityId } = (await h().post("/v2/identities.createIdentity", { externalId }, a.rootKey)).body.data;
      const activityId = await firstActivity(h(), a);
      const userId = await spareUser(h(), a);
      const escrowKeyId = route.path.includes("/escrow.") ? await escrowKeyOf(h(), a) : newId("esc");
      const res = await send(h(), route, { apiId, keyId, rootKeyId, key, disabledKey, namespaceId, identityId, externalId, userId, activityId, ...(await rbacIds(h(), a)), escrowKeyId, policyId: route.path.includes("/policies.") ? await policyOf(h(), a) : newId("pol"), portalId: route.path.includes("/portal.") ? await portalOf(h(), a, apiId) : newId("ptl") }, a.rootKey);
      expect(res.status, `${route.name}: ${JSON.stringify(res.body)}`).toBe(route.ownStatus ?? 200);
      if (route.verdict) expect(verdictCode(route, res), route.name).toBe(route.name.includes("disabled") ? "DISABLED" : "VALID");
    }
  }, 180_000);

  test("deleted resources of one's own workspace answer exactly like missing ones", async () => {
    const apiId = await h().createApi(a, "doomed");
    const { keyId, key } = await h().createKey(a, apiId, { prefix: "ka" });
    const { key: disabledKey } = await h().createKey(a, apiId, { prefix: "ka", enabled: false });
    const { keyId: rootKeyId } = await h().rootKey(a, ["api.*.read_key"]);
    const externalId = `doomed-${apiId}`;
    const { identityId } = (await h().post("/v2/identities.createIdentity", { externalId }, a.rootKey)).body.data;
    expect((await h().verify(key)).body.valid).toBe(true); // cached, where there is a cache
    expect((await h().post("/v1/rootKeys.deleteRootKey", { keyId: rootKeyId }, a.rootKey)).status).toBe(200);
    expect((await h().post("/v1/apis.deleteApi", { apiId }, a.rootKey)).status).toBe(200);
    expect((await h().post("/v2/identities.deleteIdentity", { identity: identityId }, a.rootKey)).status).toBe(200);
    const rbac = await rbacIds(h(), a);
    expect((await h().post("/v2/permissions.deletePermission", { permission: rbac.permissionId }, a.rootKey)).status).toBe(200);
    expect((await h().post("/v2/permissions.deleteRole", { role: rbac.roleId }, a.rootKey)).status).toBe(200);
    const userId = await spareUser(h(), a);
    expect((await h().post("/v2/users.deleteUser", { userId }, a.rootKey)).status).toBe(200);
    const escrowKeyId = full ? await escrowKeyOf(h(), a) : newId("esc");
    if (full) expect((await h().post("/v2/escrow.deleteKey", { escrowKeyId }, a.rootKey)).status).toBe(200);
    const policyId = await policyOf(h(), a);
    expect((await h().post("/v2/policies.deletePolicy", { policyId }, a.rootKey)).status).toBe(200);
    const portalId = await portalOf(h(), a, await h().createApi(a, "portal"));
    expect((await h().post("/v2/portal.deletePortal", { portalId }, a.rootKey)).status).toBe(200);
    const deleted: Ids = { apiId, keyId, rootKeyId, key, disabledKey, identityId, externalId, userId, ...rbac, activityId: "", escrowKeyId, policyId, portalId };
    const before = await h().snapshot();
    for (const route of rows.filter((r) => !r.filter && !r.undeletable)) {
      const gone = await send(h(), route, deleted, a.rootKey);
      const missing = await send(h(), route, missingIds(), a.rootKey);
      expect(gone.status, route.name).toBe(missing.status);
      expect(comparable(route, gone), route.name).toEqual(comparable(route, missing));
      if (route.verdict) expect(verdictCode(route, gone), route.name).toBe("NOT_FOUND");
      else if (route.emptyRows) expect(gone.body.data, route.name).toEqual(emptyRows(route));
      else expectErrorEnvelope(gone, "NOT_FOUND", route.name);
    }
    expect(await h().snapshot()).toEqual(before);
  }, 120_000);

  test("control: B's root keys work on B's own resources", async () => {
    const res = await h().get("/v1/keys.getKey", { keyId: idsB.keyId }, b.rootKey);
    expect(res.status).toBe(200);
    const verdict = await h().post("/v1/keys.verifyKey", { key: idsB.key }, b.rootKey);
    expect(verdict.body).toMatchObject({ valid: true, code: "VALID", keyId: idsB.keyId });
  });

  test("a key verified without a root key is found in any workspace, and B's root key scopes it away", async () => {
    // verifyKey needs no root key (Unkey v1); only a valid root key narrows it to its workspace.
    const open = await h().verify(idsA.key, { apiId: idsA.apiId });
    expect(open.body).toMatchObject({ valid: true, keyId: idsA.keyId });
    const scoped = await h().post("/v1/keys.verifyKey", { key: idsA.key, apiId: idsA.apiId }, b.rootKey);
    expect(scoped.body).toEqual({ valid: false, code: "NOT_FOUND", requestId: scoped.headers.get("X-Request-Id") });
  });

  if (!full) return;

  test("routes without ids stay inside the caller's workspace", async () => {
    const rootKeys = await h().get("/v1/rootKeys.listRootKeys", {}, b.rootKey);
    expect(rootKeys.status).toBe(200);
    const listed = JSON.stringify(rootKeys.body);
    expect(listed).not.toContain(idsA.rootKeyId);
    expect(listed).not.toContain(a.rootKeyId);
    expect(rootKeys.body.rootKeys.map((k: { id: string }) => k.id)).toContain(b.rootKeyId);

    const created = await h().post("/v1/apis.createApi", { name: "b-owned" }, b.rootKey);
    expect(created.status).toBe(200);
    const fromA = await h().get("/v1/apis.getApi", { apiId: created.body.apiId }, a.rootKey);
    expectErrorEnvelope(fromA, "NOT_FOUND");
    const fromB = await h().get("/v1/apis.getApi", { apiId: created.body.apiId }, b.rootKey);
    expect(fromB.body).toMatchObject({ id: created.body.apiId, workspaceId: b.workspaceId });

    const rk = await h().post("/v1/rootKeys.createRootKey", { name: "b2", permissions: ["api.*.read_key"] }, b.rootKey);
    expect(rk.status).toBe(200);
    const aList = await h().get("/v1/rootKeys.listRootKeys", {}, a.rootKey);
    expect(JSON.stringify(aList.body)).not.toContain(rk.body.keyId);
    // The new root key of B cannot read A's keys either.
    expectErrorEnvelope(await h().get("/v1/keys.getKey", { keyId: idsA.keyId }, rk.body.key), "NOT_FOUND");

    // B's lists of permissions and roles hold B's own only, in both versions.
    for (const [path, body] of [
      ["/v2/permissions.listPermissions", {}],
      ["/v2/permissions.listRoles", {}],
    ] as const) {
      const listedB = JSON.stringify((await h().post(path, body, b.rootKey)).body);
      expect(listedB, path).not.toContain(idsA.permissionId);
      expect(listedB, path).not.toContain(idsA.roleId);
      expect(listedB, path).toContain(path.endsWith("Roles") ? idsB.roleId : idsB.permissionId);
    }
    for (const path of ["/v1/permissions.listPermissions", "/v1/permissions.listRoles"]) {
      const listedB = await h().get(path, {}, b.rootKey);
      expect(listedB.status, path).toBe(200);
      expect(JSON.stringify(listedB.body), path).not.toMatch(new RegExp(`${idsA.permissionId}|${idsA.roleId}`));
    }

    // B's policies are B's own, in both versions.
    for (const listed of [await h().get("/v1/policies.listPolicies", {}, b.rootKey), await h().post("/v2/policies.listPolicies", {}, b.rootKey)]) {
      expect(listed.status).toBe(200);
      expect(JSON.stringify(listed.body)).not.toContain(idsA.policyId);
      expect(JSON.stringify(listed.body)).toContain(idsB.policyId);
    }

    const page = await h().get("/v1/apis.listKeys", { apiId: idsB.apiId }, b.rootKey);
    expect(page.body.keys.map((k: { id: string }) => k.id)).toEqual([idsB.keyId]);
    expect(page.body.total).toBe(1);

    // Identities: B lists only its own, and A's externalId is free in B: another identity, A's untouched.
    const aIdentityBefore = (await h().post("/v2/identities.getIdentity", { identity: idsA.identityId }, a.rootKey)).body.data;
    const v1List = await h().get("/v1/identities.listIdentities", {}, b.rootKey);
    const v2List = await h().post("/v2/identities.listIdentities", { search: "owner" }, b.rootKey);
    for (const listedIdentities of [JSON.stringify(v1List.body), JSON.stringify(v2List.body)]) expect(listedIdentities).not.toContain(idsA.identityId);
    const mine = await h().post("/v2/identities.createIdentity", { externalId: idsA.externalId }, b.rootKey);
    expect(mine.status).toBe(200);
    expect(mine.body.data.identityId).not.toBe(idsA.identityId);
    const v1Made = await h().post("/v1/identities.createIdentity", { externalId: `${idsA.externalId}-v1` }, b.rootKey);
    expect(v1Made.status).toBe(200);
    expect((await h().post("/v2/identities.getIdentity", { identity: idsA.externalId }, b.rootKey)).body.data.id).toBe(mine.body.data.identityId);
    expect((await h().post("/v2/identities.getIdentity", { identity: idsA.identityId }, a.rootKey)).body.data).toEqual(aIdentityBefore);

    // Users and the audit trail: B sees its own only (A's createUser is on A's trail, not B's).
    for (const res of [await h().get("/v1/users.listUsers", {}, b.rootKey), await h().post("/v2/users.listUsers", {}, b.rootKey)]) {
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(idsA.userId);
      expect(JSON.stringify(res.body)).toContain(b.userId);
    }
    for (const res of [await h().get("/v1/audit.listLogs", {}, b.rootKey), await h().post("/v2/audit.listLogs", {}, b.rootKey)]) {
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(idsA.userId);
      expect(JSON.stringify(res.body)).not.toContain(a.workspaceId);
    }
    expect(JSON.stringify((await h().get("/v1/audit.listLogs", {}, a.rootKey)).body)).toContain(idsA.userId);
    // Escrow keys: B lists only its own, in both versions.
    for (const listed of [await h().get("/v1/escrow.listKeys", {}, b.rootKey), await h().post("/v2/escrow.listKeys", {}, b.rootKey)]) {
      expect(listed.status).toBe(200);
      expect(JSON.stringify(listed.body)).not.toContain(idsA.escrowKeyId);
      expect(JSON.stringify(listed.body)).toContain(idsB.escrowKeyId);
    }
  });

  test("the table covers every registered route", async () => {
    const doc = await h().call("GET", "/openapi.json");
    expect(doc.status, JSON.stringify(doc.body).slice(0, 300)).toBe(200);
    const paths = doc.body.paths as Record<string, Record<string, any>>;
    const covered = new Set([...idRoutes.map((r) => r.path), ...Object.keys(routesWithoutIds), ...Object.keys(sessionRoutes)]);
    expect([...covered].sort()).toEqual(Object.keys(paths).sort());

    // And every route whose request names an existing resource has a row.
    const schemas = doc.body.components?.schemas ?? {};
    const resolve = (s: any) => (s?.$ref ? schemas[s.$ref.split("/").at(-1)] : s);
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const fields = [
          ...(op.parameters ?? []).map((p: { name: string }) => p.name),
          ...Object.keys(resolve(op.requestBody?.content?.["application/json"]?.schema)?.properties ?? {}),
        ];
        const named = fields.filter((f) => ID_FIELDS.includes(f));
        if (named.length === 0 || sessionRoutes[path]) continue;
        expect(idRoutes.some((r) => r.path === path && r.method === method.toUpperCase()), `${method} ${path} takes ${named.join(", ")} but has no row`).toBe(true);
        expect(routesWithoutIds[path], path).toBeUndefined();
      }
    }
  });
}
