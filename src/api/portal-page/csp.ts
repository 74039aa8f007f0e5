/**
 * The hosted portal page's Content-Security-Policy: stricter than /docs's, since the page is
 * ours alone: scripts and styles only as files from this origin (nothing inline at all, no
 * eval), images from here or data: (a branding logo), calls to this origin only.
 */
export const PORTAL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");
