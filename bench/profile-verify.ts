import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startChild, stopAllChildren } from "./children.ts";
import { createBenchDatabase } from "./database.ts";
import { createFixtures } from "./fixtures.ts";
import { verifyBodies } from "./http.ts";
import { expectStandaloneLimit, standaloneLimitBodies } from "./scenarios/verify.ts";
import { measure } from "./load.ts";
import postgres from "postgres";

/**
 * One cached verify path alone against its baseline, alternated `rounds` times: for
 * before/after figures of a change to the hot path. `valid` (default) runs against the
 * ceiling; `credits` and `ratelimit` against the database ceiling's same statement (needs
 * PostgreSQL). With BENCH_CPU_PROF=<dir> every child writes a CPU profile there.
 * `standalone` runs v2 ratelimit.limit against the database ceiling's raw window upsert;
 * `uncached` a verify instance without its cache against the database ceiling's SELECT by hash;
 * `v2` v2 verifyKey (with its root key) against v1 verifyKey on the same Keyhold process.
 *   npx tsx bench/profile-verify.ts [rounds] [seconds] [valid|credits|ratelimit|standalone|uncached|v2]
 */
const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const scenario = process.argv[4] ?? "valid";
if (!["valid", "credits", "ratelimit", "standalone", "uncached", "v2"].includes(scenario)) throw new Error(`unknown scenario ${scenario}`);
const db = await createBenchDatabase(console.log);
if (!["valid", "v2"].includes(scenario) && db.kind !== "postgres") throw new Error(`${scenario} needs PostgreSQL (the database ceiling)`);
try {
  const handle = await db.open();
  const fx = await createFixtures(handle.db, 10_000);
  await handle.close();
  const samplePath = join(tmpdir(), `keyhold-bench-profile-${process.pid}.json`);
  writeFileSync(samplePath, JSON.stringify(fx.hotSmall));
  // v2: the baseline is v1 verifyKey on the same Keyhold process, the target v2's with the root key.
  const v2 = scenario === "v2";
  const [ceiling, keyhold] = await Promise.all([
    v2
      ? null
      : scenario === "valid"
        ? startChild("ceiling", "./baselines/ceiling.ts", { samplePath })
        : startChild("db ceiling", "./baselines/db-ceiling.ts", { url: db.url, maxConnections: 10 }),
    startChild("keyhold", "./servers/keyhold.ts", { database: db.target, apps: [{ cache: scenario !== "uncached" }], vault: null, logLevel: "warn" }),
  ]);
  const keys = scenario === "credits" ? fx.credits : scenario === "ratelimit" ? fx.ratelimited : fx.hotSmall;
  const standalone = scenario === "standalone";
  if (standalone) await expectStandaloneLimit(keyhold.urls[0]!, fx.rootKey, standaloneLimitBodies()[0]!);
  const baseline = ceiling ?? keyhold;
  const path = (target: boolean) =>
    standalone
      ? target ? "/v2/ratelimit.limit" : "/namespace-ratelimit"
      : v2 && target ? "/v2/keys.verifyKey"
      : target || scenario === "valid" || v2 ? "/v1/keys.verifyKey" : `/${{ credits: "credits", ratelimit: "ratelimit", uncached: "select" }[scenario]}`;
  const bodies = standalone ? standaloneLimitBodies() : verifyBodies(keys);
  const headers = (target: boolean) => (standalone || (v2 && target) ? { authorization: `Bearer ${fx.rootKey}` } : undefined);
  const load = (child: typeof keyhold, target: boolean) => ({ url: child.urls[0]!, paths: [path(target)], bodies, headers: headers(target), connections: 32, durationS: seconds });
  await measure({ ...load(keyhold, true), amount: 3 * keys.length }, 0); // fill the caches
  // Transactions the database committed per request (each statement outside a transaction is one): PostgreSQL only.
  const stats = db.kind === "postgres" && db.url ? postgres(db.url, { max: 1 }) : null;
  const commits = async () => (stats ? Number((await stats`select xact_commit from pg_stat_database where datname = current_database()`)[0]!.xact_commit) : 0);
  for (let round = 0; round < rounds; round++) {
    const cpu = async (child: typeof keyhold, target: boolean) => {
      await measure({ ...load(child, target), durationS: 1 }, 0); // warm-up
      const before = (await child.stats()).cpuMicros;
      const committed = await commits();
      const result = await measure(load(child, target), 0);
      await new Promise((r) => setTimeout(r, 600)); // pg_stat counters are flushed at most every 500 ms
      const commitsPerRequest = ((await commits()) - committed) / result.requests;
      return { ...result, cpuPerRequest: ((await child.stats()).cpuMicros - before) / result.requests, commitsPerRequest };
    };
    const c = await cpu(baseline, false);
    const k = await cpu(keyhold, true);
    console.log(
      `round ${round + 1}: ${v2 ? "keyhold v1" : baseline.name} ${c.rps.toFixed(0)} req/s p99 ${c.p99.toFixed(2)} ms | keyhold ${scenario === "uncached" ? "" : "cached "}${scenario} ${k.rps.toFixed(0)} req/s p99 ${k.p99.toFixed(2)} ms` +
        ` | ratio ${(k.rps / c.rps).toFixed(2)}×, p99 ${(k.p99 / c.p99).toFixed(2)}×${k.failures || c.failures ? ` FAILURES (baseline ${c.failures}, keyhold ${k.failures})` : ""}` +
        ` | server CPU per request: ${v2 ? "v1" : baseline.name} ${c.cpuPerRequest.toFixed(0)} µs, keyhold ${k.cpuPerRequest.toFixed(0)} µs` +
        (stats ? ` | commits per request: ${c.commitsPerRequest.toFixed(2)}, keyhold ${k.commitsPerRequest.toFixed(2)}` : ""),
    );
  }
  console.log("cache", JSON.stringify((await keyhold.stats()).caches));
  await stats?.end();
} finally {
  await stopAllChildren();
  await db.drop();
}
