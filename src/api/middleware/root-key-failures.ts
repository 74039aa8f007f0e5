import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import { LRUCache } from "lru-cache";

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
  /** TRUST_PROXY: take the client from X-Forwarded-For (its first entry) instead of the socket. */
  trustProxy: boolean;
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

  constructor(
    readonly options: RootKeyFailureLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.clients = new LRUCache({ max: options.maxClients });
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
}

/** The caller's address: the socket's (IPv4-mapped IPv6 unwrapped), X-Forwarded-For only when trusted, else one fixed bucket. */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("X-Forwarded-For")?.split(",")[0]?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    address = undefined; // not served by @hono/node-server
  }
  if (!address) return UNKNOWN_CLIENT;
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}
