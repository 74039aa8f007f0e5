import { type ErrorCode, errorStatus } from "./errors.ts";

/**
 * The page every error body's `docs` link points at: one section per code, its anchor the
 * code itself (`/docs/errors#UNAUTHORIZED`). Served by the API and by the vault, so the
 * link works on whichever answered. Static HTML, no script, nothing from other origins.
 */
export const ERRORS_DOC_PATH = "/docs/errors";

/** What each code means and what the caller can do about it. */
const explanations: Record<ErrorCode, string> = {
  BAD_REQUEST: "The request is malformed: not JSON, a field missing or of the wrong type, a value out of range (the message names the field); or Node's HTTP parser could not read it at all: headers over its limit (status 431), conflicting `Content-Length` and `Transfer-Encoding` (400). Fix the request; retrying it unchanged gives the same answer.",
  UNAUTHORIZED: "The root key is missing, unknown, expired or revoked (the answer never says which). Send a valid root key as `Authorization: Bearer kh_root_…`.",
  FORBIDDEN: "Authenticated but not allowed: a root key may only grant or revoke permissions it holds itself; the message names the one missing.",
  INSUFFICIENT_PERMISSIONS: "The root key is valid but lacks a permission this route needs; the message names it. Use a root key that holds it.",
  NOT_FOUND: "The API, key or root key does not exist, or belongs to another workspace (both answers are the same, so ids cannot be probed); or no route has this method and path.",
  CONFLICT: "The change collides with the current state, e.g. something that already exists.",
  PRECONDITION_FAILED: "A condition of the request does not hold, e.g. a recoverable key asked for on an API whose recovery is off (enable it with `apis.updateApi`).",
  PAYLOAD_TOO_LARGE: "The request body is over 1 MiB. Send less.",
  TOO_MANY_REQUESTS: "This client sent too many requests with a bad root key. Wait the seconds in `Retry-After`, then use a valid root key.",
  INTERNAL_SERVER_ERROR: "Something failed on the server's side. The message is fixed on purpose; the `requestId` finds the details in the server's logs.",
  SERVICE_UNAVAILABLE: "A dependency is down or not ready (the database, the vault). Retry later; `/readyz` says what is missing.",
};

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const code = (text: string) => escape(text).replace(/`([^`]+)`/g, "<code>$1</code>");

/** The page's HTML (the same on every request, so built once). */
export const errorsPageHtml: string = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Keyhold error codes</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}code{background:#eee;padding:0 .2em}</style>
</head><body>
<h1>Keyhold error codes</h1>
<p>Every error answer has the body <code>{"error": {"code", "message", "docs", "requestId"}}</code>; <code>docs</code> links to the code's section below.</p>
${(Object.keys(explanations) as ErrorCode[])
  .map((c) => `<section id="${c}"><h2>${c} <small>(HTTP ${errorStatus[c]})</small></h2><p>${code(explanations[c])}</p></section>`)
  .join("\n")}
</body></html>
`;

/** GET /docs/errors, for either app (`app.get(ERRORS_DOC_PATH, errorsPage)`): a plain Response, so this module needs no Hono. */
export function errorsPage(): Response {
  return new Response(errorsPageHtml, {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "public, max-age=3600",
      // Nothing but the page's own inline style: no script, no other origin.
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    },
  });
}
