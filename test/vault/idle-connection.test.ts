import { afterAll, beforeAll, expect, test } from "vitest";
import { TestVault } from "../vault-harness.ts";

/**
 * The API keeps its connections to the vault alive; the vault drops one that sat idle past
 * its keepAliveTimeout (Node's default: 5 s). The next call on it was reset before any
 * answer, and a recoverable createKey after a quiet moment answered 503 "connection
 * failed". The transport now drops idle sockets before the vault does (4 s), and sends a call
 * reset on a reused socket once more on a fresh connection.
 */
let tv: TestVault;
beforeAll(async () => {
  tv = await TestVault.start();
});
afterAll(() => tv.destroy());

test("a vault call after the connection sat idle past the vault's keep-alive timeout succeeds", async () => {
  const first = await tv.client.encrypt({ keyring: "ws_idle", data: "one", context: "c" });
  // Within and then past Node's default 5 s (a shortened keepAliveTimeout does not reproduce it).
  for (const idleMs of [4000, 6000]) {
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const again = await tv.client.encrypt({ keyring: "ws_idle", data: "two", context: "c" });
    expect(again.keyId).toBe(first.keyId);
  }
}, 30_000);
