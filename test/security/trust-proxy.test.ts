import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import pino from "pino";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { DEFAULT_ROOT_KEY_FAILURE_LIMIT } from "../../src/api/middleware/root-key-failures.ts";
import { loadConfig } from "../../src/config.ts";
import { type Workspace, forEachDatabase } from "../harness.ts";

/** The reverse proxy's own address: Linux routes all of 127/8 to lo, so a test can connect from it. */
const PROXY = "127.0.0.9";
const bad = `kh_root_${"x".repeat(40)}`;

/** What the proxy forwards: from its own socket, X-Forwarded-For as the client wrote it plus the address the proxy saw. */
function viaProxy(port: number, path: string, token: string, clientWrote: string | null, proxySaw: string): Promise<number> {
  const forwardedFor = clientWrote === null ? proxySaw : `${clientWrote}, ${proxySaw}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, localAddress: PROXY, path, agent: false, headers: { Authorization: `Bearer ${token}`, "X-Forwarded-For": forwardedFor } },
      (res) => (res.resume(), res.on("end", () => resolve(res.statusCode!))),
    );
    req.on("error", reject);
    req.end();
  });
}

function tally(statuses: number[]): Record<number, number> {
  return statuses.reduce<Record<number, number>>((acc, s) => ((acc[s] = (acc[s] ?? 0) + 1), acc), {});
}

/**
 * The two attacks on the bad-root-key limiter behind one reverse proxy (TRUST_PROXY=1, as an
 * operator configures it): the client writes X-Forwarded-For, the proxy appends what it saw.
 */
forEachDatabase("TRUST_PROXY: the client is the address the trusted proxy saw", (h) => {
  const limit = DEFAULT_ROOT_KEY_FAILURE_LIMIT.maxFailures;
  let ws: Workspace;
  let path: string;
  let server: ServerType;
  let port: number;
  beforeAll(async () => {
    ws = await h().workspace();
    path = `/v1/apis.getApi?apiId=${await h().createApi(ws)}`;
    const { trustProxy } = loadConfig({ TRUST_PROXY: "1" });
    const app = createApp({ db: h().db, vault: null, logger: pino({ level: "silent" }), verifyCache: null, rootKeyFailureLimit: { trustProxy } });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => ((port = info.port), resolve()));
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("rotating X-Forwarded-For no longer escapes the 429", async () => {
    const attacker = "203.0.113.66";
    const statuses: number[] = [];
    for (let i = 0; i < limit + 50; i++) statuses.push(await viaProxy(port, path, bad, `10.0.${i >> 8}.${i & 255}`, attacker));
    expect(tally(statuses)).toEqual({ 401: limit, 429: 50 });
    expect(await viaProxy(port, path, ws.rootKey, "10.9.9.9", attacker)).toBe(429); // whatever it writes or sends now
  });

  test("writing a victim's address into X-Forwarded-For no longer locks the victim out", async () => {
    const attacker = "203.0.113.77";
    const victim = "198.51.100.8";
    const statuses: number[] = [];
    for (let i = 0; i < limit + 10; i++) statuses.push(await viaProxy(port, path, bad, victim, attacker));
    expect(tally(statuses)).toEqual({ 401: limit, 429: 10 }); // the attacker is the one counted
    expect(await viaProxy(port, path, ws.rootKey, null, victim)).toBe(200); // the victim, as the proxy saw it
    expect(await viaProxy(port, path, ws.rootKey, null, attacker)).toBe(429);
  });
});
