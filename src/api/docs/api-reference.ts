import { Scalar } from "@scalar/hono-api-reference";
import type { Context } from "hono";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { errorResponse } from "../errors.ts";
import type { App } from "../env.ts";
import { contentSecurityPolicy } from "./csp.ts";

/** Scalar's standalone browser script as text, or null where it is not installed. */
export type ScriptSource = () => Promise<string | null>;

export const DOCS_PATH = "/docs";
const SCRIPT_PATH = "/docs/scalar.js";

/**
 * GET /docs: Scalar's API reference of /openapi.json, with a "try it" client that calls this
 * service. Self-contained: Scalar's script is served from here (/docs/scalar.js, versioned by
 * its hash so it can be cached for a year), its fonts are off, and a CSP keeps the page on
 * this origin.
 */
export function registerApiReference(app: App, source: ScriptSource | undefined): void {
  let loaded: Promise<{ text: string; version: string } | null> | undefined;
  const load = () =>
    (loaded ??= (source?.() ?? Promise.resolve(null)).then((text) =>
      text === null ? null : { text, version: bytesToHex(sha256(utf8ToBytes(text))).slice(0, 16) },
    ));

  app.get(SCRIPT_PATH, async (c) => {
    const script = await load();
    if (!script) return errorResponse(c, "NOT_FOUND", "The API reference script (@scalar/api-reference) is not installed here.");
    c.header("Cache-Control", c.req.query("v") === script.version ? "public, max-age=31536000, immutable" : "public, max-age=300");
    c.header("Content-Type", "text/javascript; charset=utf-8");
    return c.body(script.text);
  });

  app.get(DOCS_PATH, async (c, next) => {
    const script = await load();
    if (!script) {
      return errorResponse(c, "SERVICE_UNAVAILABLE", "The API reference script (@scalar/api-reference) is not installed here; /openapi.json has the same content.");
    }
    const render = Scalar({
      url: "/openapi.json",
      cdn: `${SCRIPT_PATH}?v=${script.version}`,
      pageTitle: "Keyhold API reference",
      withDefaultFonts: false,
      telemetry: false,
      hideClientButton: false,
      showDeveloperTools: "never",
      authentication: { preferredSecurityScheme: "rootKey" },
      persistAuth: false,
      agent: { disabled: true },
    });
    // Scalar's handler is typed for a plain Hono context; it only calls c.html().
    const response = await render(c as unknown as Context, next);
    if (!(response instanceof Response)) return c.text("", 500);
    const html = await response.text();
    c.header("Content-Security-Policy", contentSecurityPolicy(html));
    c.header("Cache-Control", "no-cache");
    return c.html(html);
  });
}
