import type { KeyView } from "../../keys/key-view.ts";

/**
 * v1's `Key`: the view without what only v2 shows. v1 knows one rate limit (`ratelimit`, the
 * one named "default"); the full named list and lastUsedAt stay off v1's wire, which keeps
 * the exact shape v1 clients were built against.
 */
export function v1Key(view: KeyView): Omit<KeyView, "ratelimits" | "lastUsedAt"> {
  const { ratelimits: _ratelimits, lastUsedAt: _lastUsedAt, ...key } = view;
  return key;
}
