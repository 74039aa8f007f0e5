import { parseKey } from "./keys/key-format.ts";

/**
 * An error reduced to fields that are safe to log. Errors of the database drivers carry
 * their query parameters (a key hash, a ciphertext) in `params`/`parameters`, in the
 * message ("Failed query: …\nparams: …") and in `detail` ("Key (hash)=(…) already
 * exists"); pino's standard serializer would print all of it. We keep a whitelist.
 */
export interface SafeError {
  type: string;
  message: string;
  /** PostgreSQL's SQLSTATE or Node's errno code. */
  code?: string;
  constraint?: string;
  table?: string;
  /** Stack frames only: the stack's first line repeats the message. */
  stack?: string;
  cause?: SafeError;
}

const MAX_MESSAGE = 300;

export function safeError(error: unknown, depth = 0): SafeError {
  if (!(error instanceof Error)) return { type: typeof error, message: "(a thrown non-Error value)" };
  const e = error as Error & Record<string, unknown>;
  const out: SafeError = { type: e.constructor?.name && e.constructor.name !== "Error" ? e.constructor.name : e.name, message: safeMessage(e.message) };
  if (typeof e.code === "string" && /^[A-Z0-9_]{1,40}$/.test(e.code)) out.code = e.code;
  const constraint = e.constraint_name ?? e.constraint;
  if (typeof constraint === "string") out.constraint = scrubSecrets(constraint);
  if (typeof e.table_name === "string") out.table = e.table_name;
  const frames = e.stack?.split("\n").filter((line) => /^\s+at /.test(line));
  if (frames?.length) out.stack = frames.slice(0, 12).join("\n");
  if (e.cause !== undefined && depth < 3) out.cause = safeError(e.cause, depth + 1);
  return out;
}

/** The message without query parameters, cut short, with secret-looking runs replaced. */
function safeMessage(message: string): string {
  const withoutParams = message.split(/\nparams:/)[0]!;
  return scrubSecrets(withoutParams.length > MAX_MESSAGE ? `${withoutParams.slice(0, MAX_MESSAGE)}…` : withoutParams);
}

/**
 * Replaces runs that look like key material: 16+ characters of base64/base58/hex/JWT
 * alphabet holding a digit or both cases. SQL identifiers (snake_case) and words survive.
 */
export function scrubSecrets(text: string): string {
  return text.replace(/[A-Za-z0-9+/=_.-]{16,}/g, (run) => (/\d/.test(run) || (/[a-z]/.test(run) && /[A-Z]/.test(run)) ? "[redacted]" : run));
}

/**
 * A request path with the parts that can be secrets replaced: a token (a run between `/`,
 * `.` and other punctuation) of 16+ characters that is a well-formed key (its checksum
 * matches) or does not read as a word: hex, base58 and base64 runs hold digits or adjacent
 * capitals. Route names (`keys.verifyKey`, `rootKeys.createRootKey`) are camelCase words
 * split at the dot and stay readable; scrubSecrets would redact them (`/v1/keys.verifyKey`
 * is one 18-character mixed-case run to it).
 */
export function scrubPath(path: string): string {
  return path.replace(/[A-Za-z0-9%+=_-]{16,}/g, (token) => (/[\d%+=]|[A-Z]{2}/.test(token) || parseKey(token) ? "[redacted]" : token));
}
