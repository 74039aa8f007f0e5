import { call, verifyBodies } from "./http.ts";
import { startChild, stopAllChildren } from "./children.ts";
import { createBenchDatabase } from "./database.ts";
import { createFixtures } from "./fixtures.ts";
import { type LoadSpec, measure } from "./load.ts";

/**
 * The admin path against uncached verify on one Keyhold child, interleaved `rounds` times:
 * for before/after figures of a change to root-key auth or the admin reads and writes.
 * With BENCH_CPU_PROF=<dir> the Keyhold child writes a CPU profile there.
 *   npx tsx bench/profile-admin.ts [rounds] [seconds]
 */
const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 3);
const db = await createBenchDatabase(console.log);
try {
  const handle = await db.open();
  const fx = await createFixtures(handle.db, 10_000);
  await handle.close();
  const keyhold = await startChild("keyhold", "./servers/keyhold.ts", { database: db.target, apps: [{ cache: false }], vault: null, logLevel: "warn" });
  const url = keyhold.urls[0]!;
  const keyIds: string[] = [];
  for (let i = 0; i < 100; i++) {
    const res = await call(`${url}/v1/keys.createKey`, { body: { apiId: fx.listApiId }, token: fx.rootKey });
    if (res.status !== 200) throw new Error(`createKey failed: ${res.status} ${JSON.stringify(res.body)}`);
    keyIds.push(res.body.keyId);
  }
  const headers = { authorization: `Bearer ${fx.rootKey}` };
  const loads: Record<string, LoadSpec> = {
    verify: { url, paths: ["/v1/keys.verifyKey"], bodies: verifyBodies(fx.hotSmall), connections: 32, durationS: seconds },
    getKey: { url, paths: keyIds.map((id) => `/v1/keys.getKey?keyId=${id}`), headers, connections: 16, durationS: seconds },
    createKey: { url, paths: ["/v1/keys.createKey"], bodies: [JSON.stringify({ apiId: fx.apiId })], headers, connections: 16, durationS: seconds },
  };
  for (let round = 0; round < rounds; round++) {
    const r: Record<string, number> = {};
    let failures = 0;
    for (const [name, spec] of Object.entries(loads)) {
      const result = await measure(spec, 1);
      r[name] = result.rps;
      failures += result.failures;
    }
    console.log(
      `round ${round + 1}: verify uncached ${r.verify!.toFixed(0)} req/s | getKey ${r.getKey!.toFixed(0)} req/s (${(r.getKey! / r.verify!).toFixed(2)}×)` +
        ` | createKey ${r.createKey!.toFixed(0)} req/s (${(r.createKey! / r.verify!).toFixed(2)}×)${failures ? ` | ${failures} FAILURES` : ""}`,
    );
  }
} finally {
  await stopAllChildren();
  await db.drop();
}
