import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Child, startChild, stopAllChildren } from "./children.ts";
import { generateTokenKeyPair } from "../src/crypto/service-token.ts";
import { createBenchDatabase } from "./database.ts";
import { createFixtures } from "./fixtures.ts";
import { call, verifyBodies } from "./http.ts";
import { type LoadSpec, measure } from "./load.ts";

/**
 * The admin path (getKey, createKey) against uncached verify, interleaved `rounds` times,
 * with the server's CPU time per request (less swayed by a loaded machine than req/s).
 * With BENCH_BEFORE=<dir> (a checkout of another commit, e.g. from `git archive`) a second
 * Keyhold child runs that code on the same database and each load alternates between the
 * two: before/after pairs. With BENCH_CPU_PROF=<dir> the children write CPU profiles there.
 * `createKeyRecoverable` goes through a real vault process, whose CPU per request is shown too.
 *   npx tsx bench/profile-admin.ts [rounds] [seconds] [loads, e.g. createKey or verify,getKey or createKeyRecoverable]
 */
const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 3);
const only = process.argv[4]?.split(",");
const db = await createBenchDatabase(console.log);
try {
  const handle = await db.open();
  const fx = await createFixtures(handle.db, 10_000);
  await handle.close();
  const tokenKeys = await generateTokenKeyPair();
  const vault = await startChild("vault", "./servers/vault.ts", { tokenPublicJwk: tokenKeys.publicJwk });
  const config = { database: db.target, apps: [{ cache: false }], vault: { url: vault.urls[0]!, privateJwk: tokenKeys.privateJwk }, logLevel: "warn" };
  const children: [string, Child][] = [["after", await startChild("keyhold", "./servers/keyhold.ts", config)]];
  const before = process.env.BENCH_BEFORE;
  if (before) {
    const entry = pathToFileURL(resolve(before, "bench/servers/keyhold.ts")).href;
    children.unshift(["before", await startChild("keyhold before", entry, config)]);
  }
  const url = children[0]![1].urls[0]!;
  const keyIds: string[] = [];
  for (let i = 0; i < 100; i++) {
    const res = await call(`${url}/v1/keys.createKey`, { body: { apiId: fx.listApiId }, token: fx.rootKey });
    if (res.status !== 200) throw new Error(`createKey failed: ${res.status} ${JSON.stringify(res.body)}`);
    keyIds.push(res.body.keyId);
  }
  const headers = { authorization: `Bearer ${fx.rootKey}` };
  const loads: Record<string, Omit<LoadSpec, "url">> = {
    verify: { paths: ["/v1/keys.verifyKey"], bodies: verifyBodies(fx.hotSmall), connections: 32, durationS: seconds },
    getKey: { paths: keyIds.map((id) => `/v1/keys.getKey?keyId=${id}`), headers, connections: 16, durationS: seconds },
    createKey: { paths: ["/v1/keys.createKey"], bodies: [JSON.stringify({ apiId: fx.apiId })], headers, connections: 16, durationS: seconds },
    createKeyRecoverable: { paths: ["/v1/keys.createKey"], bodies: [JSON.stringify({ apiId: fx.recoverableApiId, recoverable: true })], headers, connections: 16, durationS: seconds },
  };
  for (let round = 0; round < rounds; round++) {
    // Alternate which child goes first, so neither always meets the machine's same moment.
    const order = round % 2 ? [...children].reverse() : children;
    const cells: string[] = [];
    for (const [name, spec] of Object.entries(loads).filter(([name]) => !only || only.includes(name))) {
      for (const [label, child] of order) {
        await measure({ ...spec, url: child.urls[0]!, durationS: 1 }, 0); // warm-up
        const [cpuBefore, vaultBefore] = [(await child.stats()).cpuMicros, (await vault.stats()).cpuMicros];
        const result = await measure({ ...spec, url: child.urls[0]! }, 0);
        const cpu = ((await child.stats()).cpuMicros - cpuBefore) / result.requests;
        const vaultCpu = ((await vault.stats()).cpuMicros - vaultBefore) / result.requests;
        const vaultCell = vaultCpu >= 1 ? `, vault ${vaultCpu.toFixed(0)} µs` : "";
        cells.push(`${name} ${label} ${result.rps.toFixed(0)} req/s ${cpu.toFixed(0)} µs CPU${vaultCell}${result.failures ? ` ${result.failures} FAILURES` : ""}`);
      }
    }
    console.log(`round ${round + 1}: ${cells.join(" | ")}`);
  }
} finally {
  await stopAllChildren();
  await db.drop();
}
