import { type ApiAction, apiPermission, hasPermission } from "../auth/permissions.ts";

/**
 * What a portal session may do: Unkey v2's scopes, plus Keyhold's `keys:reveal` (recoverable
 * plaintexts). Each maps onto the root-key permissions the same admin call would need on one
 * API, and that is all a session ever holds: so a portal can never let an end user do
 * something the route itself would have refused the root key that minted the session.
 */
export const PORTAL_SCOPES = ["keys:read", "keys:create", "keys:reroll", "analytics:read", "keys:reveal"] as const;
export type PortalScope = (typeof PORTAL_SCOPES)[number];

/** The API actions each scope stands for; `encrypt_key` only where the API stores recoverable keys. */
function scopeActions(scope: PortalScope, recoveryEnabled: boolean): ApiAction[] {
  switch (scope) {
    case "keys:read":
      return ["read_key", "read_api"];
    case "keys:create":
    case "keys:reroll":
      return recoveryEnabled ? ["create_key", "encrypt_key"] : ["create_key"];
    case "analytics:read":
      return ["read_analytics"];
    case "keys:reveal":
      return ["read_key", "decrypt_key"];
  }
}

export interface ScopedApi {
  id: string;
  recoveryEnabled: boolean;
}

/** The root-key permissions `scopes` stand for on `apis`, e.g. `api.api_1.read_key`. */
export function scopePermissions(scopes: readonly PortalScope[], apis: readonly ScopedApi[]): string[] {
  const out = new Set<string>();
  for (const api of apis) for (const scope of scopes) for (const action of scopeActions(scope, api.recoveryEnabled)) out.add(apiPermission(api.id, action));
  return [...out];
}

/**
 * What a session holds at the time of a call: its scopes on its portal's APIs as they are now,
 * cut to what the minting root key still holds (a permission taken from it since is gone here too).
 */
export function sessionPermissions(scopes: readonly PortalScope[], apis: readonly ScopedApi[], rootKeyPermissions: readonly string[]): string[] {
  return scopePermissions(scopes, apis).filter((p) => hasPermission(rootKeyPermissions, p));
}

export function isPortalScope(value: string): value is PortalScope {
  return (PORTAL_SCOPES as readonly string[]).includes(value);
}
