import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { MAX_BODY_BYTES } from "../../src/http/body-limit.ts";
import { DEFAULT_ROOT_KEY_FAILURE_LIMIT, RootKeyFailureLimiter } from "../../src/api/middleware/root-key-failures.ts";
import { MAX_LIST_LIMIT } from "../../src/paging.ts";
import { type Workspace, forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope } from "../security/envelope.ts";

/**
 * Point 16: resource limits. A body over 1 MiB is 413 (exactly at the limit it is read);
 * a list limit over the maximum is 400; a flood of bad root keys from one client gets 429
 * while other clients, and verifyKey, carry on; the OpenAPI document and the mounted
 * routes list exactly the same endpoints.
 */

/** Routes that are mounted but are not operations of the API itself. */
const NOT_OPERATIONS: Record<string, string> = {
  "/openapi.json": "this document",
  "/docs": "the API reference page (HTML)",
  "/docs/scalar.js": "the API reference page's script",
  "/docs/errors": "the error codes page (HTML), the `docs` link of error bodies",
  "/metrics": "Prometheus scrape endpoint (text exposition, METRICS_TOKEN), not a client API",
  "/portal": "the hosted portal page (HTML; its calls are the documented /v2/portal.* routes)",
  "/portal/portal.js": "the portal page's script",
  "/portal/portal.css": "the portal page's styles",
  "/portal/playground.js": "the playground module for providers' docs pages (README: Portal and playgrounds)",
  "/portal/exchange": "the hosted page's sign-in form (HTML; what portal.exchangeCode does, from the portal's own origin only)",
};

interface Answer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request over loopback from a chosen source address (Linux routes all of 127/8 to lo). */
function send(port: number, from: string, method: "GET" | "POST", path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        localAddress: from,
        method,
        path,
        agent: false,
        headers: { ...(body && { "Content-Type": "application/json" }), ...(options.token && { Authorization: `Bearer ${options.token}` }), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode!, body: parsed, headers: res.headers });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

forEachDatabase("adversarial 16: resource limits", (h) => {
  let ws: Workspace;
  let apiId: string;
  beforeAll(async () => {
    ws = await h().workspace();
    apiId = await h().createApi(ws);
  });

  test("the 1 MiB limit is exact: 1 MiB is read, 1 MiB + 1 byte is 413", async () => {
    const at = (size: number) => {
      const head = JSON.stringify({ key: "nope", padding: "" });
      const body = head.replace('"padding":""', `"padding":"${"x".repeat(size - head.length)}"`);
      expect(Buffer.byteLength(body)).toBe(size);
      return h().call("POST", "/v1/keys.verifyKey", { rawBody: body, headers: { "Content-Type": "application/json" } });
    };
    const fits = await at(MAX_BODY_BYTES);
    expect(fits.status).toBe(200);
    expect(fits.body).toMatchObject({ valid: false, code: "NOT_FOUND" });
    expectErrorEnvelope(await at(MAX_BODY_BYTES + 1), "PAYLOAD_TOO_LARGE");
  });

  test(`a list limit over the maximum (${MAX_LIST_LIMIT}) is 400; the maximum itself is served`, async () => {
    expect((await h().get("/v1/apis.listKeys", { apiId, limit: String(MAX_LIST_LIMIT) }, ws.rootKey)).status).toBe(200);
    for (const limit of [MAX_LIST_LIMIT + 1, 10 * MAX_LIST_LIMIT, 2 ** 31, 1e30]) {
      expectErrorEnvelope(await h().get("/v1/apis.listKeys", { apiId, limit: String(limit) }, ws.rootKey), "BAD_REQUEST", String(limit));
    }
  });

  test("the OpenAPI document and the mounted routes list exactly the same endpoints", async () => {
    const doc = (await h().call("GET", "/openapi.json")).body;
    expect(doc.openapi).toBe("3.1.0");
    const mounted = new Set(h().app.routes.filter((r) => r.method !== "ALL" && !(r.path in NOT_OPERATIONS)).map((r) => `${r.method} ${r.path}`));
    const documented = new Set(Object.entries<Record<string, unknown>>(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)));
    expect(mounted.size).toBeGreaterThan(15);
    expect([...mounted].sort()).toEqual([...documented].sort());
  });

  describe("a flood of bad root keys from one client, over a real listener", () => {
    let server: ServerType;
    let port: number;
    let key: string;
    beforeAll(async () => {
      key = (await h().createKey(ws, apiId)).key;
      // The product's defaults, as `keyhold serve` has them.
      const app = createApp({ db: h().db, vault: null, logger: pino({ level: "silent" }), verifyCache: null, rootKeyFailureLimit: { trustProxy: false } });
      await new Promise<void>((resolve) => {
        server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
          port = info.port;
          resolve();
        });
      });
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    test(`after ${DEFAULT_ROOT_KEY_FAILURE_LIMIT.maxFailures} bad root keys that client gets 429; other clients and verifyKey are unaffected`, async () => {
      const limit = DEFAULT_ROOT_KEY_FAILURE_LIMIT.maxFailures;
      const attacker = "127.0.0.2";
      const bad = `kh_root_${"x".repeat(40)}`;
      const flood: number[] = [];
      for (let i = 0; i < limit + 100; i++) {
        // Rotating X-Forwarded-For changes nothing: it is not trusted unless TRUST_PROXY says so.
        flood.push((await send(port, attacker, "GET", `/v1/apis.getApi?apiId=${apiId}`, { token: bad, headers: { "X-Forwarded-For": `10.0.0.${i % 250}` } })).status);
        if (i === limit + 10) {
          // In the middle of the flood: other clients, good and bad, are answered as always.
          expect((await send(port, "127.0.0.1", "GET", `/v1/apis.getApi?apiId=${apiId}`, { token: ws.rootKey })).status).toBe(200);
          expect((await send(port, "127.0.0.3", "GET", `/v1/apis.getApi?apiId=${apiId}`, { token: bad })).status).toBe(401);
        }
      }
      const counts = flood.reduce<Record<number, number>>((acc, s) => ((acc[s] = (acc[s] ?? 0) + 1), acc), {});
      console.log(`[adversarial 16] flood of ${flood.length} bad root keys from one client: ${JSON.stringify(counts)}`);
      expect(counts).toEqual({ 401: limit, 429: 100 });

      const blocked = await send(port, attacker, "GET", `/v1/apis.getApi?apiId=${apiId}`, { token: ws.rootKey });
      expect(blocked.status).toBe(429); // blocked for the window, whatever key it sends now
      expect(blocked.body.error.code).toBe("TOO_MANY_REQUESTS");
      expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
      expect(JSON.stringify(blocked.body)).not.toMatch(/unknown|expired|revoked|kh_root/);
      // verifyKey needs no root key and ignores bad ones: never limited, never counted.
      const verdict = await send(port, attacker, "POST", "/v1/keys.verifyKey", { token: bad, body: { key } });
      expect(verdict.body).toMatchObject({ valid: true, code: "VALID" });
      expect((await send(port, "127.0.0.1", "GET", `/v1/apis.getApi?apiId=${apiId}`, { token: ws.rootKey })).status).toBe(200);
    });
  });
});

describe("adversarial 16: the bad-root-key limiter is bounded and windowed", () => {
  test("20,000 distinct clients: at most maxClients remembered; the block ends with the window", () => {
    let now = 1_000_000;
    const limiter = new RootKeyFailureLimiter({ ...DEFAULT_ROOT_KEY_FAILURE_LIMIT, maxClients: 1000 }, () => now);
    for (let i = 0; i < 20_000; i++) limiter.recordFailure(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect(limiter.size).toBe(1000);
    for (let i = 0; i < DEFAULT_ROOT_KEY_FAILURE_LIMIT.maxFailures; i++) limiter.recordFailure("10.9.9.9");
    expect(limiter.blockedFor("10.9.9.9")).toBe(60);
    expect(limiter.blockedFor("10.9.9.8")).toBe(0);
    now += DEFAULT_ROOT_KEY_FAILURE_LIMIT.windowMs;
    expect(limiter.blockedFor("10.9.9.9")).toBe(0);
  });

  test("without a socket (app.request, Workers) X-Forwarded-For never names the client", async () => {
    const { clientAddress } = await import("../../src/api/middleware/root-key-failures.ts");
    const { compileTrust } = await import("../../src/proxy-trust.ts");
    const { Hono } = await import("hono");
    const seen: string[] = [];
    const app = new Hono();
    app.get("/", (c) => (seen.push(clientAddress(c, compileTrust(1)), clientAddress(c, null)), c.text("ok")));
    await app.request("/", { headers: { "X-Forwarded-For": "203.0.113.7, 10.0.0.1" } });
    expect(seen).toEqual(["unknown", "unknown"]);
  });
});
