/**
 * JSON with every object's keys in code-unit order, no whitespace: one text for one value,
 * whatever order its keys were built or stored in (jsonb reorders them). What the audit chain
 * and activity digests hash. Values are taken as JSON.stringify takes them: `undefined`
 * members are left out, non-finite numbers become null.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
  return `{${members.join(",")}}`;
}
