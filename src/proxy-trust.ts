import type { IncomingMessage } from "node:http";
import proxyAddr from "proxy-addr";

/**
 * TRUST_PROXY: which reverse proxies in front of Keyhold may name the client in
 * X-Forwarded-For. Each proxy appends the address it saw to the right of the header, and
 * everything to the left of it was written by whoever connected to that proxy, so only
 * entries added by our own proxies can be believed. The client is found walking from
 * the socket leftwards through the header: the first address not trusted as a proxy
 * (the rules of Express's `trust proxy`, through the same library).
 *
 * - `false` (or `0`): the socket's address; the header is ignored.
 * - a hop count `n`: the socket and the `n - 1` rightmost entries are our proxies, so the
 *   client is the `n`th entry from the right.
 * - a list of proxy addresses/CIDRs (and proxy-addr's names `loopback`, `linklocal`,
 *   `uniquelocal`): every address in them is a proxy and skipped.
 *
 * `true` is refused. It used to mean "the first entry", which the client writes; taking it
 * as 1 would be right only with exactly one proxy (with none, the client picks its own
 * address again; with two, every client shares the outer proxy's). Only the operator
 * knows the topology, so start fails until they say it.
 */
export type TrustProxy = false | number | string[];

export const TRUST_PROXY_EXPECTED =
  "false, the number of reverse proxies in front of Keyhold (e.g. 1), or their addresses/CIDRs comma-separated (e.g. 10.0.0.0/8,loopback); " +
  "`true` is no longer accepted: it trusted the first X-Forwarded-For entry, which the client writes";

/** The setting from its text, or null if it is not one. */
export function parseTrustProxy(raw: string): TrustProxy | null {
  const text = raw.trim();
  if (text === "false" || text === "0") return false;
  if (/^\d{1,3}$/.test(text)) return Number(text);
  const proxies = text.split(",").map((p) => p.trim());
  if (proxies.some((p) => p === "")) return null;
  try {
    proxyAddr.compile(proxies);
  } catch {
    return null; // not an address, CIDR or range name ("true" lands here too)
  }
  return proxies;
}

type Trust = (address: string, hop: number) => boolean;

/** The trust function of a setting, compiled once: hop 0 is the socket, hop 1 the rightmost entry. */
export function compileTrust(setting: TrustProxy): Trust | null {
  if (setting === false) return null;
  if (typeof setting === "number") return (_address, hop) => hop < setting;
  return proxyAddr.compile(setting);
}

/** The client address: the first untrusted one from the socket leftwards through `forwardedFor`. */
export function forwardedClient(socketAddress: string, forwardedFor: string | undefined, trust: Trust | null): string {
  if (!trust) return socketAddress;
  // proxy-addr reads exactly these two fields of a Node request.
  const request = { headers: { "x-forwarded-for": forwardedFor }, socket: { remoteAddress: socketAddress } } as unknown as IncomingMessage;
  return proxyAddr(request, trust);
}
