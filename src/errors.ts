/**
 * The one error type of Keyhold. Services throw it for refusals the caller must
 * see (missing resource, bad input, missing permission); the API renders it as the
 * contract's envelope. Anything else that is thrown is a fault and becomes a 500
 * with a fixed message, its details kept for the log.
 */
export const errorStatus = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  INSUFFICIENT_PERMISSIONS: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export type ErrorStatus = (typeof errorStatus)[ErrorCode];

export class KeyholdError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KeyholdError";
    this.code = code;
  }
  get status(): ErrorStatus {
    return errorStatus[this.code];
  }
}

/** The same answer for "missing" and "not yours", so ids cannot be probed. */
export function notFound(what: "api" | "key" | "root key" | "permission" | "role" | "user"): KeyholdError {
  const label = { api: "API", key: "key", "root key": "root key", permission: "permission", role: "role", user: "user" }[what];
  return new KeyholdError("NOT_FOUND", `The ${label} does not exist.`);
}

/**
 * Relative on purpose: it resolves against whichever Keyhold (API or vault) answered, which
 * serves the page (error-docs.ts). An absolute URL would need a host we do not own or the
 * request's Host header, which a proxy may have rewritten.
 */
const DOCS = "/docs/errors#";

/** The contract's envelope; every error Keyhold (API or vault) sends has exactly this shape. */
export function errorBody(code: ErrorCode, message: string, requestId: string) {
  return { error: { code, message, docs: `${DOCS}${code}`, requestId } };
}
