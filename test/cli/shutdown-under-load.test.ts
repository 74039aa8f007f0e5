import { Agent } from "node:http";
import { afterAll, expect, inject, test } from "vitest";
import { sha256Hex } from "../../src/crypto/hash.ts";
import { generateMasterKey } from "../../src/vault/master-keys.ts";
import { createTestDatabase } from "../harness.ts";
import { Secrets } from "../ops/secret-search.ts";
import { type Outcome, killAll, post, serve, tempDataDir, verifyOnce } from "./processes.ts";

let dropDatabase = async () => {};
afterAll(async () => {
  await killAll();
  await dropDatabase();
});

const CONNECTIONS = 20;
const PER_CONNECTION = 10;
/** SIGTERM once this many verifies have been answered: the load is under way, most of it still to come. */
const SIGNAL_AFTER = 40;

/**
 * A real `keyhold serve` (API and vault) gets SIGTERM in the middle of 200 verifies over 20
 * keep-alive connections: every request it accepted (logged) is answered 200, the others are
 * refused or reset before being read, and it exits 0. Its whole output, from start to exit,
 * holds none of the secrets the run used.
 */
test("SIGTERM under load: no accepted request fails, exit 0; and the process's logs hold no secret", { timeout: 180_000 }, async () => {
  const secrets = new Secrets();
  const masterKey = generateMasterKey();
  const metricsToken = "metrics-token-of-the-process-test";
  secrets.add("master key", masterKey);
  secrets.add("metrics token", metricsToken);
  const env: Record<string, string> = { KEYHOLD_DATA_DIR: tempDataDir(), LOG_LEVEL: "info", METRICS_TOKEN: metricsToken, VAULT_MASTER_KEYS: masterKey };
  if (inject("postgresUrl")) {
    const db = await createTestDatabase(inject("postgresUrl"));
    env.DATABASE_URL = db.url;
    dropDatabase = db.dropDatabase;
  }
  const server = await serve(env);
  const rootKey = server.stdout().match(/kh_root_\w+/)![0]; // printed once, by design, outside the logs
  secrets.add("root key", rootKey);
  secrets.add("root key hash", sha256Hex(rootKey));

  // Work that puts secrets in the process's hands.
  const { apiId } = (await post(server.url, "/v1/apis.createApi", { name: "load" }, rootKey)).body;
  expect((await post(server.url, "/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, rootKey)).status).toBe(200);
  const recoverable = (await post(server.url, "/v1/keys.createKey", { apiId, recoverable: true }, rootKey)).body;
  const { key } = (await post(server.url, "/v1/keys.createKey", { apiId }, rootKey)).body;
  for (const k of [recoverable.key, key]) (secrets.add("key", k), secrets.add("key hash", sha256Hex(k)));
  const decrypted = await fetch(`${server.url}/v1/keys.getKey?keyId=${recoverable.keyId}&decrypt=true`, { headers: { Authorization: `Bearer ${rootKey}` } });
  expect((await decrypted.json()).plaintext).toBe(recoverable.key);
  const forged = "kh_root_3ZbEwq9XkLmN2pQ7rS5tUvW8yA";
  secrets.add("forged root key", forged);
  expect((await post(server.url, "/v1/apis.createApi", { name: "x" }, forged)).status).toBe(401);
  expect((await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${metricsToken}` } })).status).toBe(200);
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

  // The load: 20 keep-alive connections, 10 verifies each, back to back.
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const outcomes: Outcome[] = [];
  let signalledAt = 0;
  const verify = () => verifyOnce(agent, server.url, key);
  const worker = async () => {
    for (let i = 0; i < PER_CONNECTION; i++) {
      const outcome = await verify();
      outcomes.push(outcome);
      if (!signalledAt && outcomes.filter((o) => "status" in o).length >= SIGNAL_AFTER) {
        signalledAt = performance.now();
        process.kill(server.child.pid!, "SIGTERM"); // the node process itself: bin/keyhold.mjs runs in-process
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  agent.destroy();
  const exit = await Promise.race([server.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no exit within 30 s")), 30_000))]);

  const answered = outcomes.filter((o): o is { status: number; at: number } => "status" in o);
  const failed = outcomes.filter((o): o is { error: string; at: number } => "error" in o);
  console.log(`[keyhold] SIGTERM after ${SIGNAL_AFTER} answers: ${answered.length} answered (${answered.filter((o) => o.at > signalledAt).length} after the signal), ${failed.length} not accepted (${[...new Set(failed.map((f) => f.error))].join(", ")})`);
  expect(signalledAt).toBeGreaterThan(0);
  expect(outcomes).toHaveLength(CONNECTIONS * PER_CONNECTION);
  expect(answered.every((o) => o.status === 200)).toBe(true);
  expect(answered.filter((o) => o.at > signalledAt).length).toBeGreaterThan(0); // in-flight requests were finished
  for (const f of failed) expect(["ECONNREFUSED", "ECONNRESET", "EPIPE"]).toContain(f.error);
  // Every verify the server accepted (it logs each when answering) reached its client.
  const logLines = server.stdout().split("\n").filter((line) => line.startsWith("{"));
  const records = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const served = records.filter((r) => r.msg === "request" && r.route === "/v1/keys.verifyKey" && r.service === undefined);
  expect(served.length).toBe(answered.length);
  expect(exit).toEqual({ code: 0, signal: null });
  expect(server.stderr()).toContain("SIGTERM received, finishing in-flight requests");

  // The logs (every JSON line) and stderr: no secret. Only the welcome text shows the root key.
  secrets.expectNoneIn(logLines.join("\n"), "server logs");
  expect(secrets.findIn(server.stderr())).toEqual([]);
  expect(records.some((r) => r.event === "key.decrypt")).toBe(true);
  expect(records.some((r) => r.service === "vault" && r.msg === "request")).toBe(true);
});
