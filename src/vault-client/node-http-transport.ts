import { setMaxListeners } from "node:events";
import { Agent, request } from "node:http";
import { Agent as TlsAgent, request as tlsRequest } from "node:https";
import type { VaultTransport } from "./http-vault-client.ts";

/** Below Node's default server keep-alive timeout (5 s), which the vault server keeps. */
const IDLE_SOCKET_MS = 4_000;

/**
 * The vault transport for Node: plain node:http over kept-alive connections. On Node 20,
 * fetch builds Request, Headers, streams and an AbortSignal per call, which cost more CPU
 * than the vault's own work; this is the hot path of every recoverable createKey.
 */
export function nodeHttpTransport(): VaultTransport {
  // A kept-alive socket idle past the server's keep-alive timeout (Node's default: 5 s) is
  // closed by the server; reused, it fails with ECONNRESET (a 503 after any quiet spell).
  // Idle sockets are dropped sooner than that, and a reset on a reused socket is retried once below.
  const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: IDLE_SOCKET_MS });
  const tlsAgent = new TlsAgent({ keepAlive: true, maxSockets: 64, timeout: IDLE_SOCKET_MS });
  const send = (url: string, init: Parameters<VaultTransport>[1], retried: boolean): ReturnType<VaultTransport> =>
    new Promise((resolve, reject) => {
      const secure = url.startsWith("https:");
      const req = (secure ? tlsRequest : request)(
        url,
        { method: init.method, headers: init.headers, agent: secure ? tlsAgent : agent, signal: init.signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            resolve({ ok: status >= 200 && status < 300, status, json: async () => JSON.parse(text) as unknown });
          });
        },
      );
      req.on("error", (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the vault closed while it sat idle (its keepAliveTimeout, 5 s by
        // default) resets on reuse before any answer: the request never reached the vault, so it is
        // sent once more on a new connection (Node's documented remedy) instead of failing with 503.
        if (!retried && req.reusedSocket && error.code === "ECONNRESET") resolve(send(url, init, true));
        else reject(error);
      });
      req.end(init.body);
    });
  return (url, init) => {
    // The client shares one deadline signal among the calls of a 50 ms slice (sharedDeadlines), and
    // node:http adds an abort listener per request, removed when it ends: past 10 at once Node warned
    // of a leak (every busy second of recoverable createKeys did) where there is none.
    setMaxListeners(0, init.signal);
    return send(url, init, false);
  };
}
