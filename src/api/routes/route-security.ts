/**
 * Who may call a route, for the OpenAPI document: the `security` requirement and a
 * machine-readable `x-keyhold-permissions` extension. The handler still checks the
 * permission itself (its first line); this only describes it.
 *
 * `x-keyhold-permissions`: `rootKey` is "required", "optional" (verifyKey: a root key sent
 * along scopes the request) or "none"; `allOf` lists rules that must all hold, each met by
 * holding any one permission of its `anyOf`; a rule with `when` applies only in that case.
 */
export interface PermissionRule {
  anyOf: string[];
  /** The request shape that makes the rule apply, e.g. "decrypt=true". */
  when?: string;
}

export interface PermissionsExtension {
  rootKey: "required" | "optional" | "none";
  allOf: PermissionRule[];
  /** Portal session routes: the scope the session needs instead of a root key; null: any live session (it sees only its own). */
  portalScope?: string | null;
}

/** The name of the bearer scheme registered in app.ts. */
export const ROOT_KEY_SCHEME = "rootKey";

type SecurityRequirement = Record<string, string[]>;
const rootKey: SecurityRequirement = { [ROOT_KEY_SCHEME]: [] };

/** Either the workspace-wide or the per-API form of an API permission. */
export const apiPermission = (action: string, when?: string): PermissionRule => ({
  anyOf: [`api.*.${action}`, `api.<apiId>.${action}`],
  ...(when !== undefined && { when }),
});

export function rootKeyRequired(...allOf: PermissionRule[]) {
  const permissions: PermissionsExtension = { rootKey: "required", allOf };
  return { security: [rootKey], "x-keyhold-permissions": permissions };
}

/** Anyone may call it; a root key, if sent, must hold the rules' permissions. */
export function rootKeyOptional(...allOf: PermissionRule[]) {
  const permissions: PermissionsExtension = { rootKey: "optional", allOf };
  // `{}` is OpenAPI's "no credentials" alternative.
  return { security: [{}, rootKey], "x-keyhold-permissions": permissions };
}

export function publicRoute() {
  const permissions: PermissionsExtension = { rootKey: "none", allOf: [] };
  return { security: [] as SecurityRequirement[], "x-keyhold-permissions": permissions };
}

/** The portal session's schemes (src/api/portal/): the `portal_session` cookie, or its access token as a bearer. */
export const PORTAL_COOKIE_SCHEME = "portalSession";
export const PORTAL_TOKEN_SCHEME = "portalToken";

/** A portal session route: no root key, the session (cookie or bearer token) holding `scope` (null: no scope, only the session). */
export function portalSessionRequired(scope: string | null) {
  const permissions: PermissionsExtension = { rootKey: "none", allOf: [], portalScope: scope };
  return { security: [{ [PORTAL_COOKIE_SCHEME]: [] }, { [PORTAL_TOKEN_SCHEME]: [] }] as SecurityRequirement[], "x-keyhold-permissions": permissions };
}

/**
 * Routes that write a key's permission or role names: a name the workspace lacks becomes its
 * permission or role first (src/rbac/ensure-entities.ts), which needs the create permission.
 */
export const NEW_NAME_RULES: PermissionRule[] = [
  { anyOf: ["rbac.*.create_permission"], when: "a permission new to the workspace" },
  { anyOf: ["rbac.*.create_role"], when: "a role new to the workspace" },
];
export const NEW_NAME_PROSE =
  " A permission or role the workspace does not have yet is created first, which also needs `rbac.*.create_permission` or `rbac.*.create_role` (403 otherwise).";
