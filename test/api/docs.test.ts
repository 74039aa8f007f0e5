import pino from "pino";
import { expect, test } from "vitest";
import { createApp } from "../../src/api/app.ts";
import type { Deps } from "../../src/api/env.ts";
import { inlineScripts } from "../../src/api/docs/csp.ts";
import { scalarScriptFile } from "../../src/api/docs/scalar-script-file.ts";

// /docs reads no data: an app without a database serves it.
const deps = (extra: Partial<Deps> = {}): Deps => ({ db: null as never, vault: null, logger: pino({ level: "silent" }), ...extra });

test("/docs is Scalar's reference of /openapi.json, loading its script from this origin only", async () => {
  const app = createApp(deps({ apiReferenceScript: scalarScriptFile }));
  const res = await app.request("/docs");
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
  const html = await res.text();
  expect(html).toContain("Scalar.createApiReference");
  expect(html).toContain('"url": "/openapi.json"');
  // No external origin anywhere in the page: no absolute or protocol-relative URL at all.
  expect(html).not.toMatch(/https?:\/\//i);
  expect(html).not.toMatch(/(src|href)=["']?\/\//i);
  const src = html.match(/<script src="([^"]+)"/)?.[1];
  expect(src).toMatch(/^\/docs\/scalar\.js\?v=[0-9a-f]{16}$/);

  const script = await app.request(src!);
  expect(script.status).toBe(200);
  expect(script.headers.get("Content-Type")).toMatch(/^text\/javascript/);
  expect(script.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
  expect((await script.text()).length).toBeGreaterThan(1_000_000);
  // An unversioned or stale URL is not cached for long.
  expect((await app.request("/docs/scalar.js")).headers.get("Cache-Control")).toBe("public, max-age=300");
});

test("/docs has a CSP that allows only this origin and the page's own inline script", async () => {
  const app = createApp(deps({ apiReferenceScript: scalarScriptFile }));
  const res = await app.request("/docs");
  const csp = res.headers.get("Content-Security-Policy") ?? "";
  const directives = Object.fromEntries(csp.split(/;\s*/).map((d) => [d.split(" ")[0], d.split(" ").slice(1)]));
  expect(directives["default-src"]).toEqual(["'self'"]);
  expect(directives["connect-src"]).toEqual(["'self'"]);
  expect(directives["frame-ancestors"]).toEqual(["'none'"]);
  const inline = inlineScripts(await res.text());
  expect(inline).toHaveLength(1);
  const hash = `'sha256-${Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(inline[0]))).toString("base64")}'`;
  expect(directives["script-src"]).toEqual(["'self'", hash]);
  expect(csp).not.toMatch(/https?:|\*|unsafe-eval/);
});

test("without Scalar's script /docs says so with the error envelope; /openapi.json still answers", async () => {
  const app = createApp(deps({ apiReferenceScript: async () => null }));
  const res = await app.request("/docs");
  expect(res.status).toBe(503);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("SERVICE_UNAVAILABLE");
  expect((await app.request("/docs/scalar.js")).status).toBe(404);
  expect((await createApp(deps()).request("/openapi.json")).status).toBe(200);
});
