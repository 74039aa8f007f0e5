import { compilePolicy } from "../policies/engine.ts";

/**
 * Which requests are activities, and of what type: one table for both API versions, keyed by
 * the operation (the path after `/v1/` or `/v2/`). A route not named here is not an activity
 * (verifyKey, ratelimit.limit and plain reads cost the gate one map lookup and nothing else).
 *
 * `target` names what policies may look at (`api`, `key`, `escrow_key`) from the validated
 * input; `rootGuarded` activities change who may do what (users, root keys, policies, the quorum
 * itself) and need the root quorum whoever starts them.
 */
export interface ActivityKind {
  type: string;
  /** For reads that are activities only in one form (decrypt=true). */
  applies?: (input: Record<string, unknown>) => boolean;
  target?: (input: Record<string, unknown>) => ActivityTarget;
  rootGuarded?: boolean;
  /**
   * What the route would refuse beyond its schema and without the database, checked before the
   * request is held: a request that cannot succeed is refused now, not after the approvals.
   */
  precheck?: (input: Record<string, unknown>) => void;
  /**
   * Who starts it, where not a root key: "portal", an end user's portal session, which acts
   * with the minting root key's id and user (src/portal/sessions.ts). Held, it runs with that
   * session as it then is, and its answer is sealed for the session (portal.getActivity collects it).
   */
  initiator?: "portal";
}

export interface ActivityTarget {
  apiId?: string;
  keyId?: string;
  escrowKeyId?: string;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const onApi = (input: Record<string, unknown>): ActivityTarget => ({ apiId: str(input.apiId) });
const onKey = (input: Record<string, unknown>): ActivityTarget => ({ keyId: str(input.keyId) });
const onEscrowKey = (input: Record<string, unknown>): ActivityTarget => ({ escrowKeyId: str(input.escrowKeyId) });
const decrypting = (input: Record<string, unknown>) => input.decrypt === true;
/** A policy's CEL, as createPolicy and updatePolicy compile it (a 400 naming the place); an update checks what it sends. */
const compiles = (input: Record<string, unknown>) => {
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  compilePolicy({ condition: text(input.condition) ?? "true", consensus: text(input.consensus) ?? null });
};

const kinds: Record<string, ActivityKind> = {
  "apis.createApi": { type: "CREATE_API" },
  "apis.updateApi": { type: "UPDATE_API", target: onApi },
  "apis.deleteApi": { type: "DELETE_API", target: onApi },
  "apis.deleteKeys": { type: "DELETE_KEYS", target: onApi },
  "apis.listKeys": { type: "DECRYPT_KEY", applies: decrypting, target: onApi },
  "keys.createKey": { type: "CREATE_KEY", target: onApi },
  "keys.getKey": { type: "DECRYPT_KEY", applies: decrypting, target: onKey },
  "keys.updateKey": { type: "UPDATE_KEY", target: onKey },
  "keys.deleteKey": { type: "DELETE_KEY", target: onKey },
  "keys.updateRemaining": { type: "UPDATE_KEY_CREDITS", target: onKey },
  "keys.updateCredits": { type: "UPDATE_KEY_CREDITS", target: onKey },
  "keys.rerollKey": { type: "REROLL_KEY", target: onKey },
  "keys.exportKey": { type: "EXPORT_KEY", target: onKey },
  "keys.addPermissions": { type: "UPDATE_KEY_PERMISSIONS", target: onKey },
  "keys.removePermissions": { type: "UPDATE_KEY_PERMISSIONS", target: onKey },
  "keys.setPermissions": { type: "UPDATE_KEY_PERMISSIONS", target: onKey },
  "keys.addRoles": { type: "UPDATE_KEY_ROLES", target: onKey },
  "keys.removeRoles": { type: "UPDATE_KEY_ROLES", target: onKey },
  "keys.setRoles": { type: "UPDATE_KEY_ROLES", target: onKey },
  "migrations.createKeys": { type: "IMPORT_KEYS", target: onApi },
  "keys.migrateKeys": { type: "IMPORT_KEYS", target: onApi },
  "identities.createIdentity": { type: "CREATE_IDENTITY" },
  "identities.updateIdentity": { type: "UPDATE_IDENTITY" },
  "identities.deleteIdentity": { type: "DELETE_IDENTITY" },
  "permissions.createPermission": { type: "CREATE_PERMISSION" },
  "permissions.deletePermission": { type: "DELETE_PERMISSION" },
  "permissions.createRole": { type: "CREATE_ROLE" },
  "permissions.deleteRole": { type: "DELETE_ROLE" },
  "permissions.setRolePermissions": { type: "UPDATE_ROLE" },
  "ratelimits.setOverride": { type: "SET_RATELIMIT_OVERRIDE" },
  "ratelimit.setOverride": { type: "SET_RATELIMIT_OVERRIDE" },
  "ratelimits.deleteOverride": { type: "DELETE_RATELIMIT_OVERRIDE" },
  "ratelimit.deleteOverride": { type: "DELETE_RATELIMIT_OVERRIDE" },
  "rootKeys.createRootKey": { type: "CREATE_ROOT_KEY", rootGuarded: true },
  "rootKeys.deleteRootKey": { type: "DELETE_ROOT_KEY", rootGuarded: true },
  "users.createUser": { type: "CREATE_USER", rootGuarded: true },
  "users.deleteUser": { type: "DELETE_USER", rootGuarded: true },
  "policies.createPolicy": { type: "CREATE_POLICY", rootGuarded: true, precheck: compiles },
  "policies.updatePolicy": { type: "UPDATE_POLICY", rootGuarded: true, precheck: compiles },
  "policies.deletePolicy": { type: "DELETE_POLICY", rootGuarded: true },
  "workspaces.updateRootQuorum": { type: "UPDATE_ROOT_QUORUM", rootGuarded: true },
  "escrow.createKey": { type: "CREATE_ESCROW_KEY" },
  "escrow.deleteKey": { type: "DELETE_ESCROW_KEY", target: onEscrowKey },
  "escrow.exportKey": { type: "EXPORT_ESCROW_KEY", target: onEscrowKey },
  "portal.createPortal": { type: "CREATE_PORTAL" },
  "portal.updatePortal": { type: "UPDATE_PORTAL" },
  "portal.deletePortal": { type: "DELETE_PORTAL" },
  // An end user's own key through a portal session: the same types as the admin calls, so a
  // policy on creates, rerolls or decrypts governs these too (`has(activity.params.portalId)` tells them apart).
  "portal.createKey": { type: "CREATE_KEY", target: onApi, initiator: "portal" },
  "portal.rerollKey": { type: "REROLL_KEY", target: onKey, initiator: "portal" },
  "portal.revealKey": { type: "DECRYPT_KEY", target: onKey, initiator: "portal" },
};

const byOperation = new Map(Object.entries(kinds));

/** The operations an end user's portal session starts as activities: what portal.getActivity may name. */
export const PORTAL_OPERATIONS = Object.keys(kinds).filter((operation) => kinds[operation]!.initiator === "portal") as [string, ...string[]];

/** The operation a path names: `/v1/keys.createKey` and `/v2/keys.createKey` are both `keys.createKey`. */
export function operationOf(path: string): string {
  return path.slice(path.indexOf("/", 1) + 1);
}

export function activityKind(operation: string): ActivityKind | undefined {
  return byOperation.get(operation);
}

/** Every activity type, for the docs and for validating filters. */
export const ACTIVITY_TYPES: readonly string[] = [...new Set(Object.values(kinds).map((k) => k.type))].sort();
