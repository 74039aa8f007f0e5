import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";

/**
 * The provider's side of the playground example: a tiny protected API (GET /v1/hello, keys
 * verified by Keyhold's v2 keys.verifyKey), its OpenAPI document, a Scalar docs page, and a
 * "sign in" whose backend (holding the provider's root key) creates a portal session for the
 * end user and exchanges its code itself. The docs page then gets the session's access token
 * from this backend and playground.js fills the end user's own key into Scalar.
 *
 * The browser reaches Keyhold through /keyhold/* on this origin (a narrow pass-through of
 * /portal/playground.js and two portal routes): the page stays on one origin, its CSP says
 * so, and Keyhold needs no CORS. Every file it serves is in the repo.
 */
export interface ExampleOptions {
  keyholdUrl: string;
  /** The provider's root key: verify_key on the API, create_portal_session on the portal. */
  rootKey: string;
  apiId: string;
  portalId: string;
  /** The demo's one end user (an identity of the workspace). */
  externalId: string;
}

const pageCsp = (keyholdUrl: string) => [
  "default-src 'self'",
  "script-src 'self'",
  // Scalar injects its styles at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  // The portal button's POST ends at Keyhold's /portal (a redirect the form follows).
  `form-action 'self' ${new URL(keyholdUrl).origin}`,
  "frame-ancestors 'none'",
].join("; ");

/** The portal calls playground.js makes; nothing else of Keyhold is reachable through this origin. */
const PROXIED = new Set(["/v2/portal.listKeys", "/v2/portal.revealKey"]);
const SID = "example_sid";

export function createExampleApp(options: ExampleOptions): Hono {
  const app = new Hono();
  const csp = pageCsp(options.keyholdUrl);
  /** Signed-in browsers: a random session id → the portal access token (in memory, a demo). */
  const sessions = new Map<string, { accessToken: string; expiresAt: number }>();
  const keyhold = (path: string, body: unknown, token = options.rootKey) =>
    fetch(`${options.keyholdUrl}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });

  app.use("*", async (c, next) => {
    await next();
    c.header("Content-Security-Policy", csp);
    c.header("Referrer-Policy", "no-referrer");
  });

  app.get("/", (c) =>
    c.html(
      page(
        "Acme API",
        `<main class="home"><h1>Acme API</h1><p>A tiny API whose keys Keyhold issues and verifies.</p>` +
          `<form method="post" action="/sign-in"><button type="submit">Sign in as ${options.externalId} and open the docs</button></form>` +
          `<form method="post" action="/portal"><button type="submit">Manage your keys in the Keyhold portal</button></form></main>`,
      ),
    ),
  );

  // Sign-in (a demo: no password): the backend mints a session with the root key and exchanges
  // its code itself, keeping the access token on the server side of this origin.
  app.post("/sign-in", async (c) => {
    const created = await keyhold("/v2/portal.createSession", { portal: options.portalId, externalId: options.externalId, scopes: ["keys:read", "keys:reveal"], returnUrl: new URL("/", c.req.url).toString() });
    if (!created.ok) return c.text(`Keyhold refused the portal session (${created.status}).`, 502);
    const { code } = ((await created.json()) as { data: { code: string } }).data;
    const exchanged = await fetch(`${options.keyholdUrl}/v2/portal.exchangeCode`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code }) });
    if (!exchanged.ok) return c.text(`Keyhold refused the code (${exchanged.status}).`, 502);
    const { accessToken, expiresAt } = ((await exchanged.json()) as { data: { accessToken: string; expiresAt: number } }).data;
    const sid = randomBytes(24).toString("base64url");
    sessions.set(sid, { accessToken, expiresAt });
    setCookie(c, SID, sid, { httpOnly: true, sameSite: "Lax", path: "/", expires: new Date(expiresAt) });
    return c.redirect("/docs", 303);
  });

  // The hosted portal instead: the browser goes to Keyhold's /portal?code=… (Keyhold's origin).
  app.post("/portal", async (c) => {
    const created = await keyhold("/v2/portal.createSession", { portal: options.portalId, externalId: options.externalId, scopes: ["keys:read", "keys:create", "keys:reveal", "keys:reroll", "analytics:read"], returnUrl: new URL("/", c.req.url).toString() });
    if (!created.ok) return c.text(`Keyhold refused the portal session (${created.status}).`, 502);
    return c.redirect(((await created.json()) as { data: { url: string } }).data.url, 303);
  });

  // What the docs page's script needs: this browser's portal access token and the API.
  app.get("/docs/session", (c) => {
    const session = sessions.get(getCookie(c, SID) ?? "");
    c.header("Cache-Control", "no-store");
    if (!session || session.expiresAt <= Date.now()) return c.json({ error: "not signed in" }, 401);
    return c.json({ accessToken: session.accessToken, apiId: options.apiId });
  });

  app.get("/docs", (c) =>
    c.html(
      page(
        "Acme API reference",
        `<p id="signed-in" class="banner" role="status">Loading…</p><div id="app"></div>` +
          `<script src="/scalar.js"></script><script type="module" src="/docs.js"></script>`,
      ),
    ),
  );
  app.get("/docs.js", async (c) => file(c, await readFile(new URL("./public/docs.js", import.meta.url), "utf8"), "text/javascript; charset=utf-8"));
  app.get("/style.css", async (c) => file(c, await readFile(new URL("./public/style.css", import.meta.url), "utf8"), "text/css; charset=utf-8"));
  app.get("/scalar.js", async (c) => file(c, await readFile(createRequire(import.meta.url).resolve("@scalar/api-reference/browser/standalone.js"), "utf8"), "text/javascript; charset=utf-8"));

  app.get("/openapi.json", (c) => c.json(openApiDocument(new URL(c.req.url).origin)));

  app.get("/v1/hello", async (c) => {
    const key = /^Bearer (.+)$/.exec(c.req.header("Authorization") ?? "")?.[1];
    if (!key) return c.json({ error: "An API key is required: Authorization: Bearer <key>." }, 401);
    const res = await keyhold("/v2/keys.verifyKey", { key });
    if (!res.ok) return c.json({ error: `Keyhold could not verify the key (${res.status}).` }, 502);
    const { data } = (await res.json()) as { data: { valid: boolean; code: string; keyId?: string; identity?: { externalId: string } } };
    if (!data.valid) return c.json({ error: `The key is not valid (${data.code}).` }, 401);
    return c.json({ message: `Hello, ${data.identity?.externalId ?? "stranger"}!`, keyId: data.keyId });
  });

  // The pass-through to Keyhold: playground.js and the two portal calls it makes, nothing else.
  app.get("/keyhold/portal/playground.js", async (c) => {
    const res = await fetch(`${options.keyholdUrl}/portal/playground.js`, { signal: AbortSignal.timeout(10_000) });
    return file(c, await res.text(), res.headers.get("Content-Type") ?? "text/javascript");
  });
  app.post("/keyhold/*", async (c) => {
    const path = c.req.path.slice("/keyhold".length);
    if (!PROXIED.has(path)) return c.json({ error: "not found" }, 404);
    const res = await fetch(`${options.keyholdUrl}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: c.req.header("Authorization") ?? "" },
      body: await c.req.text(),
      signal: AbortSignal.timeout(10_000),
    });
    return new Response(res.body, { status: res.status, headers: { "Content-Type": "application/json", "Cache-Control": "no-store" } });
  });

  return app;
}

function file(c: { body: (text: string, status: 200, headers: Record<string, string>) => Response }, text: string, type: string): Response {
  return c.body(text, 200, { "Content-Type": type, "X-Content-Type-Options": "nosniff" });
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/style.css"></head><body>${body}</body></html>`;
}

function openApiDocument(origin: string) {
  return {
    openapi: "3.1.0",
    info: { title: "Acme API", version: "1.0.0", description: "The playground example's protected API. Sign in on the home page: the playground holds your key." },
    servers: [{ url: origin }],
    components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "Your Acme API key (issued by Keyhold)." } } },
    security: [{ bearerAuth: [] }],
    paths: {
      "/v1/hello": {
        get: {
          operationId: "hello",
          summary: "Say hello",
          description: "Answers 200 with a greeting for a valid key, 401 otherwise.",
          tags: ["hello"],
          responses: {
            "200": { description: "The key is valid.", content: { "application/json": { schema: { type: "object", properties: { message: { type: "string" }, keyId: { type: "string" } } } } } },
            "401": { description: "No key, or not a valid one." },
          },
        },
      },
    },
  };
}
