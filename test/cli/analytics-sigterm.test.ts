import { Agent, request } from "node:http";
import { afterAll, expect, inject, test } from "vitest";
import { createTestDatabase } from "../harness.ts";
import { killAll, post, serve, tempDataDir } from "./processes.ts";

let dropDatabase = async () => {};
afterAll(async () => {
  await killAll();
  await dropDatabase();
});

const CONNECTIONS = 20;
const PER_CONNECTION = 25;
/** SIGTERM once this many verifies have been answered: well inside a flush interval of the load. */
const SIGNAL_AFTER = 150;

type Verdict = { code: string; keyId: string } | { error: string };

/** One verify over a keep-alive agent, with the verdict it got (or how it failed). */
function verify(agent: Agent, url: string, key: string, keyId: string): Promise<Verdict> {
  const body = JSON.stringify({ key });
  return new Promise((resolve) => {
    const req = request(`${url}/v1/keys.verifyKey`, { method: "POST", agent, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        if (res.statusCode !== 200) return resolve({ error: `status ${res.statusCode}` });
        resolve({ code: (JSON.parse(text) as { code: string }).code, keyId });
      });
      res.on("error", (error: NodeJS.ErrnoException) => resolve({ error: `response ${error.code ?? error.message}` }));
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.setTimeout(15_000, () => req.destroy(new Error("timeout")));
    req.end(body);
  });
}

/**
 * A real `keyhold serve` gets SIGTERM in the middle of 500 verifies of two keys (VALID and
 * DISABLED). It exits 0; started again on the same database, analytics.getVerifications
 * counts exactly the verdicts its clients received: the counts pending at the signal were
 * written on the way out.
 */
test("SIGTERM in the middle of verifying: after a restart the counts equal the verdicts answered, exactly", { timeout: 180_000 }, async () => {
  const env: Record<string, string> = { KEYHOLD_DATA_DIR: tempDataDir(), LOG_LEVEL: "warn" };
  if (inject("postgresUrl")) {
    const db = await createTestDatabase(inject("postgresUrl"));
    env.DATABASE_URL = db.url;
    dropDatabase = db.dropDatabase;
  }
  const first = await serve(env);
  const rootKey = first.stdout().match(/kh_root_\w+/)![0];
  const { apiId } = (await post(first.url, "/v1/apis.createApi", { name: "sigterm" }, rootKey)).body;
  const valid = (await post(first.url, "/v1/keys.createKey", { apiId }, rootKey)).body;
  const disabled = (await post(first.url, "/v1/keys.createKey", { apiId, enabled: false }, rootKey)).body;

  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const verdicts: Verdict[] = [];
  let signalled = false;
  const worker = async (w: number) => {
    for (let i = 0; i < PER_CONNECTION; i++) {
      const k = (w + i) % 2 === 0 ? valid : disabled;
      verdicts.push(await verify(agent, first.url, k.key, k.keyId));
      if (!signalled && verdicts.filter((v) => "code" in v).length >= SIGNAL_AFTER) {
        signalled = true;
        process.kill(first.child.pid!, "SIGTERM");
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));
  agent.destroy();
  const exit = await Promise.race([first.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no exit within 30 s")), 30_000))]);
  expect(exit).toEqual({ code: 0, signal: null });

  const answered = verdicts.filter((v): v is { code: string; keyId: string } => "code" in v);
  const count = (keyId: string, code: string) => answered.filter((v) => v.keyId === keyId && v.code === code).length;
  console.log(`[keyhold] analytics SIGTERM: ${answered.length} verdicts answered, ${verdicts.length - answered.length} refused`);
  expect(signalled).toBe(true);
  expect(answered.length).toBeGreaterThanOrEqual(SIGNAL_AFTER);
  expect(answered.length).toBeLessThan(CONNECTIONS * PER_CONNECTION); // the signal really cut the load short

  const second = await serve(env);
  const res = await fetch(`${second.url}/v1/analytics.getVerifications?apiId=${apiId}&groupBy=key`, { headers: { Authorization: `Bearer ${rootKey}` } });
  expect(res.status).toBe(200);
  const rows = (await res.json()) as { keyId: string; valid: number; disabled: number; total: number }[];
  const byKey = Object.fromEntries(rows.map((r) => [r.keyId, { valid: r.valid, disabled: r.disabled, total: r.total }]));
  expect(byKey).toEqual({
    [valid.keyId]: { valid: count(valid.keyId, "VALID"), disabled: 0, total: count(valid.keyId, "VALID") },
    [disabled.keyId]: { valid: 0, disabled: count(disabled.keyId, "DISABLED"), total: count(disabled.keyId, "DISABLED") },
  });
  process.kill(second.child.pid!, "SIGTERM");
  expect(await second.exited).toEqual({ code: 0, signal: null });
});
