import { expect, test } from "vitest";
import { TestVault } from "../vault-harness.ts";

/**
 * The vault client keeps connections alive; the vault server closes one idle for 5 s (Node's
 * default). A call after a longer quiet spell must open a new connection, not fail on the
 * closed one (it answered 503 "connection failed", ECONNRESET, before the transport dropped
 * idle sockets itself).
 */
test("a vault call after 6 s without any succeeds", { timeout: 30_000 }, async () => {
  const tv = await TestVault.start();
  try {
    await tv.client.encrypt({ keyring: "ws_idle", data: "first", context: "key_1" });
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const sealed = await tv.client.encrypt({ keyring: "ws_idle", data: "second", context: "key_2" });
    expect(await tv.client.decrypt({ keyring: "ws_idle", encrypted: sealed.encrypted, context: "key_2" })).toBe("second");
  } finally {
    await tv.destroy();
  }
});
