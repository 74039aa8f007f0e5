/**
 * A JSON value PostgreSQL's jsonb accepts: it refuses a NUL character and an unpaired
 * surrogate in any string. Text that records what happened (an error message quoting a
 * caller's expression, cut mid-character) may hold either; each becomes U+FFFD instead of
 * failing the write that records it.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function jsonbSafe<T>(value: T): T {
  if (typeof value === "string") return value.replace(UNSTORABLE, "\uFFFD") as T;
  if (Array.isArray(value)) return value.map(jsonbSafe) as T;
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [jsonbSafe(k), jsonbSafe(v)])) as T;
}
