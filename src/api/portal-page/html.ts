import type { Context } from "hono";
import type { KeyholdError } from "../../errors.ts";
import { PORTAL_PAGE_PATH } from "../../portal/sessions.ts";
import type { AppEnv } from "../env.ts";
import { PORTAL_CSP } from "./csp.ts";

/** The hosted portal's HTML: one shell for every page, every name escaped, nothing inline to run. */

export function pageHeaders(c: Context<AppEnv>): void {
  c.header("Content-Security-Policy", PORTAL_CSP);
  c.header("Cache-Control", "no-store");
  // The code is in the URL once: no Referer carries it (or the page's address) anywhere.
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Content-Type-Options", "nosniff");
}

export function errorPage(title: string, error: KeyholdError): string {
  const advice =
    error.status === 401
      ? "Portal links work once and only for a few minutes. Go back to the provider's site and open the portal again for a new link."
      : "Go back to the provider's site and open the portal again.";
  return shell("Keyhold portal", undefined, {
    body: "<body>",
    main: `<div class="error" role="alert"><h2>${esc(title)}</h2><p>${esc(error.message)}</p><p>${esc(advice)}</p></div>`,
    script: false,
  });
}

export interface ShellParts {
  body: string;
  back?: string;
  /** Shown in the bar: "Signed in as <externalId>". */
  signedInAs?: string;
  main: string;
  script: boolean;
}

export function shell(name: string, logoUrl: string | undefined, parts: ShellParts): string {
  const logo = logoUrl ? `<img class="logo" src="${attr(logoUrl)}" alt="" width="32" height="32">` : "";
  const who = parts.signedInAs !== undefined ? `<p class="who" id="who">Signed in as <strong>${esc(parts.signedInAs)}</strong></p>` : "";
  const back = parts.back ? `<a class="back" href="${attr(parts.back)}">← Back to ${esc(name)}</a>` : "";
  return [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${esc(name)}: your API keys</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${PORTAL_PAGE_PATH}/portal.css">`,
    parts.script ? `<script type="module" src="${PORTAL_PAGE_PATH}/portal.js"></script>` : "",
    `</head>${parts.body}<header class="bar">${logo}<h1>${esc(name)}</h1>${who}${back}</header>`,
    `<main id="main">${parts.main}</main></body></html>`,
  ].join("");
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
export const attr = esc;
