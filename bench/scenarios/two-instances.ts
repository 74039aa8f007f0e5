import type { Fixtures } from "../fixtures.ts";
import { call, sleep } from "../http.ts";
import { runLoad } from "../load.ts";
import { measurePairs } from "../pairs.ts";
import type { Profile } from "../profile.ts";
import { type Row, compared, pass } from "../rows.ts";
import { verifyLoad } from "./verify.ts";

const VERIFY = "/v1/keys.verifyKey";

/**
 * Two Keyhold processes, each with its own verify cache, on one PostgreSQL, paired with
 * one of them alone at the same total connections (bench/pairs.ts).
 * Load: two autocannon instances in parallel (one per instance, half the connections
 * each), req/s summed. A round-robin proxy would put a third process and an extra
 * loopback hop into every request's path; two load generators add neither.
 */
export async function twoInstanceThroughput(p: Profile, fx: Fixtures, a: string, b: string): Promise<Row> {
  const half = (url: string) => verifyLoad(p, url, fx.hot, VERIFY, p.verifyConnections / 2);
  for (const url of [a, b]) await runLoad({ ...half(url), amount: 2 * fx.hot.length }); // both caches hold the hot keys
  const pairs = await measurePairs(verifyLoad(p, a, fx.hot), [half(a), half(b)], p);
  return compared("verify cached, 2 instances (2 autocannons, summed)", pairs, "1 instance, cached", undefined, {
    note: "2 servers + load + PostgreSQL on 2 shared cores",
  });
}

/**
 * Revocation across instances: a key verified (so cached) on both, deleted through A,
 * then verified on B back to back until B answers NOT_FOUND. Time from sending the delete.
 */
export async function revocationRow(p: Profile, fx: Fixtures, a: string, b: string): Promise<Row> {
  const times: number[] = [];
  for (let trial = 0; trial < p.revocationTrials; trial++) {
    const created = await call(`${a}/v1/keys.createKey`, { body: { apiId: fx.apiId }, token: fx.rootKey });
    const { key, keyId } = created.body as { key: string; keyId: string };
    for (const url of [a, b, b]) {
      const res = await call(url + VERIFY, { body: { key } });
      if (res.body.code !== "VALID") throw new Error(`fresh key not VALID on ${url}: ${JSON.stringify(res.body)}`);
    }
    const started = performance.now();
    const deleted = await call(`${a}/v1/keys.deleteKey`, { body: { keyId }, token: fx.rootKey });
    if (deleted.status !== 200) throw new Error(`deleteKey failed: ${deleted.status}`);
    for (;;) {
      const res = await call(b + VERIFY, { body: { key } });
      if (res.body.code === "NOT_FOUND") break;
      if (performance.now() - started > 10_000) throw new Error("B still accepts a key deleted 10 s ago");
    }
    times.push(performance.now() - started);
  }
  times.sort((x, y) => x - y);
  const max = times.at(-1)!;
  return {
    scenario: `revocation seen by the other instance (${p.revocationTrials} trials)`,
    unit: "ms",
    p50: times[Math.floor(times.length / 2)],
    p99: max,
    ratio: `max ${max.toFixed(1)} ms`,
    target: "max ≤ 1000 ms",
    result: pass(max <= 1000),
    note: "p99 column: max",
    data: { times },
  };
}

/**
 * A rate limit of 10 per window shared by two instances: 40 concurrent verifies, 20 on
 * each, must let through at most 10. Run on 5 fresh keys, well inside one window.
 */
export async function sharedRatelimitRow(fx: Fixtures, a: string, b: string): Promise<Row> {
  const duration = 60_000;
  const passed: number[] = [];
  for (let trial = 0; trial < 5; trial++) {
    const created = await call(`${a}/v1/keys.createKey`, { body: { apiId: fx.apiId, ratelimit: { limit: 10, duration } }, token: fx.rootKey });
    const { key } = created.body as { key: string };
    const left = duration - (Date.now() % duration);
    if (left < 5000) await sleep(left + 100); // never straddle a window boundary
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => call((i % 2 ? a : b) + VERIFY, { body: { key } })));
    passed.push(answers.filter((r) => r.body.valid === true).length);
  }
  const most = Math.max(...passed);
  return {
    scenario: "rate limit 10/window across 2 instances (40 concurrent × 5 keys)",
    unit: "ms",
    ratio: `max ${most} passed`,
    target: "≤ 10 pass",
    result: pass(most <= 10),
    note: `passed per key: ${passed.join(", ")}`,
    data: { passed },
  };
}
