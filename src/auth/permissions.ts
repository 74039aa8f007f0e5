/**
 * Root-key permissions: `<resource>.<id|*>.<action>`, or the bare `*` which grants
 * everything in the workspace. `*` in the id slot matches any id; nothing else is
 * a wildcard, so `api.*.read_key` never grants `api.*.decrypt_key`.
 */
export const PERMISSION_PATTERN = /^(\*|[a-z_]+\.(\*|[A-Za-z0-9_]+)\.[a-z_]+)$/;

export function isValidPermission(permission: string): boolean {
  return permission.length <= 128 && PERMISSION_PATTERN.test(permission);
}

/** Whether one held permission grants the required one. */
export function grants(held: string, required: string): boolean {
  if (held === "*" || held === required) return true;
  const h = held.split(".");
  const r = required.split(".");
  return h.length === 3 && r.length === 3 && h[1] === "*" && r[1] !== "" && h[0] === r[0] && h[2] === r[2];
}

export function hasPermission(held: readonly string[], required: string): boolean {
  return held.some((p) => grants(p, required));
}

/** The permission for an action on one API, e.g. `api.api_123.read_key`. */
export function apiPermission(apiId: string, action: ApiAction): string {
  return `api.${apiId}.${action}`;
}

export type ApiAction =
  | "create_api"
  | "read_api"
  | "update_api"
  | "delete_api"
  | "create_key"
  | "read_key"
  | "update_key"
  | "delete_key"
  | "verify_key"
  | "encrypt_key"
  | "decrypt_key"
  | "export_key"
  | "read_analytics";

export const CREATE_ROOT_KEY = "rbac.*.create_root_key";
export const READ_ROOT_KEY = "rbac.*.read_root_key";
export const DELETE_ROOT_KEY = "rbac.*.delete_root_key";

/** Custody controls (docs/custody-design.md): workspace-wide only, like rbac.*. */
export const CUSTODY = {
  createUser: "custody.*.create_user",
  readUser: "custody.*.read_user",
  deleteUser: "custody.*.delete_user",
} as const;

/** Reading the audit trail (src/audit/). */
export const READ_AUDIT_LOG = "audit.*.read_log";

/** The permission for an action on identities, e.g. `identity.*.create_identity` (Unkey's names). */
export function identityPermission(identityId: string, action: IdentityAction): string {
  return `identity.${identityId}.${action}`;
}

export type IdentityAction = "create_identity" | "read_identity" | "update_identity" | "delete_identity";
/**
 * Root-key permissions of the workspace's permissions and roles, as Unkey names them
 * (pkg/rbac/permissions.go): `rbac.*.<action>`, workspace-wide only.
 */
export const RBAC = {
  createPermission: "rbac.*.create_permission",
  readPermission: "rbac.*.read_permission",
  deletePermission: "rbac.*.delete_permission",
  createRole: "rbac.*.create_role",
  readRole: "rbac.*.read_role",
  deleteRole: "rbac.*.delete_role",
  addPermissionToRole: "rbac.*.add_permission_to_role",
  removePermissionFromRole: "rbac.*.remove_permission_from_role",
} as const;

/** Escrow keys (src/escrow/): `escrow.*.<action>`; creating and listing are workspace-wide only. */
export const ESCROW = {
  createKey: "escrow.*.create_key",
  readKey: "escrow.*.read_key",
  deleteKey: "escrow.*.delete_key",
  exportKey: "escrow.*.export_key",
} as const;

/** The permission for an action on one escrow key, e.g. `escrow.esc_123.export_key` (`*`: every one). */
export function escrowPermission(escrowKeyId: string, action: "read_key" | "delete_key" | "export_key"): string {
  return `escrow.${escrowKeyId}.${action}`;
}
/** Root-key permissions of the workspace's policies (src/policies/), workspace-wide only. */
export const POLICY = {
  create: "custody.*.create_policy",
  update: "custody.*.update_policy",
  delete: "custody.*.delete_policy",
  read: "custody.*.read_policy",
} as const;

/** Creating and listing portals (src/portal/): workspace-wide only. */
export const CREATE_PORTAL = "portal.*.create_portal";

/**
 * The permission for an action on one portal, e.g. `portal.ptl_123.read_portal` (`*`: every one).
 * `create_portal_session` is Unkey v2's name for minting a portal session.
 */
export function portalPermission(portalId: string, action: PortalAction): string {
  return `portal.${portalId}.${action}`;
}

export type PortalAction = "read_portal" | "update_portal" | "delete_portal" | "create_portal_session";
