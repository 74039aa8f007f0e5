/** The hosted portal page's browser files, by name; null where they are not bundled. */
export const PORTAL_ASSETS = {
  "portal.js": "text/javascript; charset=utf-8",
  "portal.css": "text/css; charset=utf-8",
  "playground.js": "text/javascript; charset=utf-8",
} as const;

export type PortalAssetName = keyof typeof PORTAL_ASSETS;

/** Reads one of the files in ./assets/ (Node: from disk; Workers: bundled as text). */
export type PortalAssetSource = (name: PortalAssetName) => Promise<string | null>;
