/**
 * Field names whose values are secrets wherever they appear in a request or an answer: a
 * created key (`key`), a decrypted one (`plaintext`). Activities and the audit trail keep
 * everything else and never these.
 */
const SECRET_FIELDS = new Set(["key", "plaintext"]);
export const REDACTED = "[redacted]";

/** A copy with every secret field's value replaced by "[redacted]", at any depth. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELDS.has(k) && v !== null && v !== undefined ? REDACTED : redactSecrets(v)]));
}

/** Whether a request carries a plaintext secret (an import of plaintext keys). */
export function holdsSecretInput(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsSecretInput);
  if (value === null || typeof value !== "object") return false;
  return Object.entries(value).some(([k, v]) => (SECRET_FIELDS.has(k) && typeof v === "string") || holdsSecretInput(v));
}
