/**
 * Field names whose values are secrets wherever they appear (compared lower-cased): a created
 * or imported key (`key`, `plaintext`), a private key, a root key. Activities and the audit
 * trail keep everything else a request or an answer holds, and never these.
 */
const SECRET_FIELDS = new Set(["key", "plaintext", "privatekey", "rootkey", "secret"]);
export const REDACTED = "[redacted]";

/** A copy with every secret field's value replaced by "[redacted]", at any depth. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELDS.has(k.toLowerCase()) ? REDACTED : redactSecrets(v)]));
}

/** Whether a request carries a secret in clear (an import of plaintext keys). */
export function holdsSecret(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsSecret);
  if (value === null || typeof value !== "object") return false;
  return Object.entries(value).some(([k, v]) => (SECRET_FIELDS.has(k.toLowerCase()) && typeof v === "string") || holdsSecret(v));
}
