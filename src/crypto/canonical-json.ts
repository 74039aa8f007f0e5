/**
 * JSON with object keys sorted at every depth and no whitespace (RFC 8785's form for the
 * values JSON.parse gives: numbers print as ECMAScript does, as RFC 8785 asks). Digests of
 * requests and audit entries hash this, so the same content always hashes the same.
 * (The `canonicalize` package does this too, but its releases since 3.0 need Node 22.)
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} has no JSON form`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
