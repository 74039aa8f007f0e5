import type { KeyView } from "../../keys/key-view.ts";

/**
 * v1's `Key`: the view without what only v2 shows. v1 knows one rate limit (`ratelimit`, the
 * one named "default"); the full named list and lastUsedAt stay off v1's wire, which keeps
 * the exact shape v1 clients were built against.
 */
export function v1Key(view: KeyView): Omit<KeyView, "ratelimits" | "lastUsedAt" | "identity"> & { identity?: { id: string; externalId: string; meta?: Record<string, unknown> } } {
  const { ratelimits: _ratelimits, lastUsedAt: _lastUsedAt, identity, ...key } = view;
  // v1's identity is {id, externalId, meta?}: the identity's limits are v2's.
  return { ...key, ...(identity && { identity: { id: identity.id, externalId: identity.externalId, ...(identity.meta && { meta: identity.meta }) } }) };
}
