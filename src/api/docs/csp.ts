import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { base64 } from "@scure/base";

/**
 * The /docs page's Content-Security-Policy: everything from this origin only; the page's own
 * inline scripts (Scalar's initialiser) allowed by their hashes, nothing else inline.
 * Styles may be inline (Scalar injects them at run time); images may be data: or blob: URLs.
 */
export function contentSecurityPolicy(html: string): string {
  const hashes = inlineScripts(html).map((body) => `'sha256-${base64.encode(sha256(utf8ToBytes(body)))}'`);
  return [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(" ")}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The text of every `<script>` without a src attribute, exactly as the browser hashes it. */
export function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)].map((m) => m[1]!);
}
