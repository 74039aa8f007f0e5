import { Agent, request } from "node:http";
import { Agent as TlsAgent, request as tlsRequest } from "node:https";
import type { VaultTransport } from "./http-vault-client.ts";

/**
 * The vault transport for Node: plain node:http over kept-alive connections. On Node 20,
 * fetch builds Request, Headers, streams and an AbortSignal per call, which cost more CPU
 * than the vault's own work; this is the hot path of every recoverable createKey.
 */
export function nodeHttpTransport(): VaultTransport {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const tlsAgent = new TlsAgent({ keepAlive: true, maxSockets: 64 });
  const send: VaultTransport = (url, init) => once(url, init, agent, tlsAgent, true);
  return send;
}

/**
 * One request. A kept-alive socket the server closed while idle (its keep-alive timeout) can be
 * handed out before this process has read the close, most often while the event loop was busy:
 * the request then fails with ECONNRESET, normally before the server read it. Node's documented
 * remedy (`request.reusedSocket`) is to send it again once, on a fresh connection; vault calls
 * bear repeating (an encryption makes a new ciphertext, the rest read).
 */
function once(url: string, init: Parameters<VaultTransport>[1], agent: Agent, tlsAgent: TlsAgent, retry: boolean): ReturnType<VaultTransport> {
  return new Promise((resolve, reject) => {
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
        if (retry && req.reusedSocket && error.code === "ECONNRESET") resolve(once(url, init, agent, tlsAgent, false));
        else reject(error);
      });
      req.end(init.body);
    });
}
