import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import { LRUCache } from "lru-cache";
import { type TrustProxy, compileTrust, forwardedClient } from "../../proxy-trust.ts";

/**
 * Failed root-key authentications per client address, in memory: a client that sends more
 * than `maxFailures` bad root keys in a window gets 429 on the admin routes until the
 * window ends, while every other client carries on. Bounded: at most `maxClients`
 * addresses are remembered (least recently seen dropped first). verifyKey never consults
 * it (a bad root key there is ignored, by contract), so its hot path pays nothing.
 */
export interface RootKeyFailureLimitOptions {
  maxFailures: number;
  windowMs: number;
  maxClients: number;
  /** TRUST_PROXY: which proxies may name the client in X-Forwarded-For (see proxy-trust.ts). */
  trustProxy: TrustProxy;
}

export const DEFAULT_ROOT_KEY_FAILURE_LIMIT: RootKeyFailureLimitOptions = { maxFailures: 50, windowMs: 60_000, maxClients: 10_000, trustProxy: false };

/** Where requests whose address is unknown (no Node socket, e.g. `app.request` or Workers) are counted together. */
export const UNKNOWN_CLIENT = "unknown";

interface Window {
  start: number;
  failures: number;
}

export class RootKeyFailureLimiter {
  private readonly clients: LRUCache<string, Window>;
  /** TRUST_PROXY compiled once, for clientAddress(). */
  readonly trust: ReturnType<typeof compileTrust>;

  constructor(
    readonly options: RootKeyFailureLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    // Entries go when their window does, so that a limiter nobody failed against lately is
    // empty again, and callers can skip working out who is asking (see tracksNoOne).
    this.clients = new LRUCache({ max: options.maxClients, ttl: options.windowMs, ttlAutopurge: true });
    this.trust = compileTrust(options.trustProxy);
  }

  private current(client: string): Window | undefined {
    const w = this.clients.get(client);
    return w && this.now() - w.start < this.options.windowMs ? w : undefined;
  }

  /** Seconds until `client` may try again, or 0 if it is not blocked. */
  blockedFor(client: string): number {
    const w = this.current(client);
    if (!w || w.failures < this.options.maxFailures) return 0;
    return Math.max(1, Math.ceil((w.start + this.options.windowMs - this.now()) / 1000));
  }

  recordFailure(client: string): void {
    const w = this.current(client);
    if (w) w.failures++;
    else this.clients.set(client, { start: this.now(), failures: 1 });
  }

  get size(): number {
    return this.clients.size;
  }

  /** No client failed within the window: none is blocked, so nobody's address is needed yet. */
  tracksNoOne(): boolean {
    return this.clients.size === 0;
  }
}

/**
 * The caller's address (IPv4-mapped IPv6 unwrapped): the socket's, or with trusted proxies
 * the address the nearest untrusted hop had as X-Forwarded-For records it; one fixed bucket
 * where there is no socket.
 */
export function clientAddress(c: Context, trust: ReturnType<typeof compileTrust>): string {
  let socket: string | undefined;
  try {
    socket = getConnInfo(c).remote.address;
  } catch {
    socket = undefined; // not served by @hono/node-server
  }
  if (!socket) return UNKNOWN_CLIENT;
  const address = forwardedClient(socket, c.req.header("X-Forwarded-For"), trust).slice(0, 64);
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}
