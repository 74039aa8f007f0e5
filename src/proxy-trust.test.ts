import { expect, test } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";
import { compileTrust, forwardedClient, parseTrustProxy } from "./proxy-trust.ts";

test("TRUST_PROXY: false, a hop count or a proxy list; `true` and garbage stop the start with the reason", () => {
  expect(loadConfig({}).trustProxy).toBe(false);
  expect(loadConfig({ TRUST_PROXY: "false" }).trustProxy).toBe(false);
  expect(loadConfig({ TRUST_PROXY: "0" }).trustProxy).toBe(false);
  expect(loadConfig({ TRUST_PROXY: "2" }).trustProxy).toBe(2);
  expect(loadConfig({ TRUST_PROXY: "10.0.0.0/8, loopback,::1" }).trustProxy).toEqual(["10.0.0.0/8", "loopback", "::1"]);
  expect(() => loadConfig({ TRUST_PROXY: "true" })).toThrow(ConfigError);
  expect(() => loadConfig({ TRUST_PROXY: "true" })).toThrow(/TRUST_PROXY must be .*number of reverse proxies.*`true` is no longer accepted/);
  for (const bad of ["yes", "10.0.0.0/33", "10.0.0.1,", "proxy.example", "-1"]) expect(parseTrustProxy(bad), bad).toBeNull();
});

test("the client is the first untrusted address from the socket leftwards (Express's `trust proxy` rules)", () => {
  const socket = "127.0.0.9";
  const chain = "6.6.6.6, 203.0.113.66, 10.1.2.3"; // client-written, what the CDN saw, what the LB saw
  expect(forwardedClient(socket, chain, compileTrust(false))).toBe(socket);
  expect(forwardedClient(socket, chain, compileTrust(1))).toBe("10.1.2.3");
  expect(forwardedClient(socket, chain, compileTrust(2))).toBe("203.0.113.66");
  expect(forwardedClient(socket, chain, compileTrust(["loopback", "10.0.0.0/8"]))).toBe("203.0.113.66");
  expect(forwardedClient(`::ffff:${socket}`, chain, compileTrust(["127.0.0.0/8", "10.0.0.0/8"]))).toBe("203.0.113.66");
  // A connection that did not come through a listed proxy names itself, whatever it wrote.
  expect(forwardedClient("198.51.100.1", chain, compileTrust(["loopback", "10.0.0.0/8"]))).toBe("198.51.100.1");
  // Fewer entries than hops, or all of them proxies: the leftmost there is.
  expect(forwardedClient(socket, undefined, compileTrust(1))).toBe(socket);
  expect(forwardedClient(socket, "10.0.0.5", compileTrust(["loopback", "10.0.0.0/8"]))).toBe("10.0.0.5");
});
