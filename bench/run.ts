import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { generateTokenKeyPair } from "../src/crypto/service-token.ts";
import type { DatabaseHandle } from "../src/db/client.ts";
import { benchCrypto } from "./baselines/crypto.ts";
import { type Child, startChild, stopAllChildren } from "./children.ts";
import { type BenchDatabase, createBenchDatabase } from "./database.ts";
import { createFixtures, seedRest } from "./fixtures.ts";
import { parseProfile, selected } from "./profile.ts";
import { helpText } from "./help.ts";
import { formatTable, writeResults } from "./report.ts";
import type { Row } from "./rows.ts";
import { adminScenarios } from "./scenarios/admin.ts";
import { memoryScenario } from "./scenarios/memory.ts";
import { createPolicyTwins, policyScenarios } from "./scenarios/policies.ts";
import { revocationRow, sharedRatelimitRow, twoInstanceThroughput } from "./scenarios/two-instances.ts";
import { measureScale, scaleRow, verifyAtSmallSize, verifyScenarios } from "./scenarios/verify.ts";
import type { LoadResult } from "./load.ts";
import type { KeyholdChildConfig } from "./servers/keyhold.ts";
import { analyticsScenarios, seedAnalytics } from "./scenarios/analytics.ts";

/**
 * npm run bench [-- --quick] [-- --keys N]: Keyhold against baselines measured in the same
 * run. Servers under test run in child processes; autocannon runs here. Keyhold logs at
 * BENCH_LOG_LEVEL (default warn: no per-request access log).
 */
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(helpText());
  process.exit(0);
}
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "warn";
const log = (line: string) => process.stdout.write(`${line}\n`);
const profile = parseProfile(process.argv.slice(2));
let database: BenchDatabase | null = null;
/** PostgreSQL only: a second database holding only the small size, for the paired scale row. */
let smallDatabase: BenchDatabase | null = null;
const scratch = mkdtempSync(join(os.tmpdir(), "keyhold-bench-"));

async function cleanUp(): Promise<void> {
  await stopAllChildren();
  await database?.drop();
  await smallDatabase?.drop();
  database = smallDatabase = null;
  rmSync(scratch, { recursive: true, force: true });
}

process.once("SIGINT", () => void cleanUp().finally(() => process.exit(130)));

async function withHandle<T>(db: BenchDatabase, body: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await db.open();
  try {
    return await body(handle);
  } finally {
    await handle.close();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const p = profile;
  const runs = (group: Parameters<typeof selected>[1]) => selected(p, group);
  log(`Keyhold bench, ${p.quick ? "quick" : "full"} run: ${p.keys.toLocaleString("en-US")} keys, every ratio the median of ${p.pairs} interleaved B T T B quads of ${p.durationS} s runs (after ${p.warmupS} s warm-up)${p.only ? `; only the groups matching "${p.only}"` : ""}`);
  const db = (database = await createBenchDatabase(log));
  const loadBefore = os.loadavg();

  if (runs("crypto")) log("crypto micro-benchmark…");
  const cryptoRows: Row[] = (runs("crypto") ? benchCrypto(p.cryptoSeconds) : []).map((c) => ({
    scenario: `AES-256-GCM ${c.operation} 64 B, @noble/ciphers`,
    unit: "ops/s",
    rate: c.nobleOpsPerS,
    baseline: `node:crypto (${Math.round(c.nodeOpsPerS).toLocaleString("en-US")} ops/s)`,
    ratio: `${(c.nobleOpsPerS / c.nodeOpsPerS).toFixed(2)}×`,
    note: "in-process",
    data: { ...c },
  }));

  log(`seeding ${p.smallKeys.toLocaleString("en-US")} keys…`);
  let t = performance.now();
  const fx = await withHandle(db, (h) => createFixtures(h.db, p.smallKeys));
  // The policies rows' two workspaces, alike but for the policies (made over HTTP later).
  const policyTwins = runs("policies") ? await withHandle(db, (h) => createPolicyTwins(h.db)) : null;
  const tokenKeys = await generateTokenKeyPair();
  const vault = await startChild("vault", "./servers/vault.ts", { tokenPublicJwk: tokenKeys.publicJwk });
  const keyhold = (name: string, apps: KeyholdChildConfig["apps"]) =>
    startChild(name, "./servers/keyhold.ts", {
      database: db.target,
      apps,
      vault: { url: vault.urls[0]!, privateJwk: tokenKeys.privateJwk },
      logLevel: LOG_LEVEL,
    } satisfies KeyholdChildConfig);

  // The scale row's baseline (verify group): on PostgreSQL a second database that keeps the small size, served
  // by its own uncached instance, so that small and large are interleaved pairs like every other
  // row (measured one before the other, the row once read 1.72× where it reads 0.84–1.10×). On
  // PGlite (one process per data directory) the small size is measured before the rest is seeded.
  let small: { url: string; keys: string[] } | LoadResult | null = null;
  if (runs("verify") && db.kind === "postgres") {
    smallDatabase = await createBenchDatabase(log);
    const smallFx = await withHandle(smallDatabase, (h) => createFixtures(h.db, p.smallKeys));
    const smallChild = await startChild("keyhold small", "./servers/keyhold.ts", { database: smallDatabase.target, apps: [{ cache: false }], vault: null, logLevel: LOG_LEVEL } satisfies KeyholdChildConfig);
    small = { url: smallChild.urls[0]!, keys: smallFx.hotSmall };
  } else if (runs("verify")) {
    log(`verify uncached at ${p.smallKeys.toLocaleString("en-US")} keys…`);
    const smallChild = await keyhold("keyhold small", [{ cache: false }]);
    small = await verifyAtSmallSize(p, fx, smallChild.urls[0]!);
    await smallChild.stop();
  }

  log(`seeding up to ${p.keys.toLocaleString("en-US")} keys…`);
  t = performance.now();
  await withHandle(db, (h) => seedRest(h.db, fx, p.keys, p.smallKeys));
  const seedSeconds = (performance.now() - t) / 1000;
  log(`  ${(p.keys - p.smallKeys).toLocaleString("en-US")} keys in ${seedSeconds.toFixed(1)} s`);
  if (runs("analytics")) log("seeding a month of analytics counts…");
  const analyticsFx = runs("analytics") ? await withHandle(db, (h) => seedAnalytics(h.db, fx)) : null;

  const samplePath = join(scratch, "hot-keys.json");
  writeFileSync(samplePath, JSON.stringify(fx.hot));
  const postgres = db.kind === "postgres";
  // On PGlite one process must own the data directory: one child serves both apps.
  const [ceiling, dbCeiling, cachedChild, uncachedChild] = await Promise.all([
    runs("verify") ? startChild("ceiling", "./baselines/ceiling.ts", { samplePath }) : null,
    postgres && runs("verify") ? startChild("db ceiling", "./baselines/db-ceiling.ts", { url: db.url, maxConnections: 10 }) : null,
    keyhold("keyhold cached", postgres ? [{ cache: true }] : [{ cache: true }, { cache: false }]),
    postgres ? keyhold("keyhold uncached", [{ cache: false }]) : null,
  ]);
  const cachedUrl = cachedChild.urls[0]!;
  const uncachedUrl = uncachedChild?.urls[0] ?? cachedChild.urls[1]!;

  const rows: Row[] = [];
  if (runs("verify") && ceiling && small) {
    log("verify scenarios…");
    const verify = await verifyScenarios(
      p,
      fx,
      {
        ceiling: ceiling.urls[0]!,
        dbCeiling: dbCeiling?.urls[0] ?? null,
        cached: cachedUrl,
        uncached: uncachedUrl,
        statsOf: (url) => (uncachedChild?.urls.includes(url) ? uncachedChild : cachedChild).stats(),
      },
      log,
    );
    log("verify uncached at both sizes…");
    const scale = "url" in small ? await measureScale(p, small, { url: uncachedUrl, keys: fx.hot }) : small;
    rows.push(...verify.rows, scaleRow(p, scale, verify.uncached));
  }
  if (analyticsFx) {
    log("analytics…");
    // The on/off row compares two processes started together for it, alike but for the counting
    // (PostgreSQL only): against the cached instance every other row had used, the on side carried
    // that instance's history (its heap, its cache, its earlier counts) and read 0.77×.
    const [on, off] = postgres
      ? await Promise.all([keyhold("keyhold cached, analytics on", [{ cache: true }]), keyhold("keyhold cached, analytics off", [{ cache: true, analytics: false }])])
      : [null, null];
    const analyticsTargets = on && off ? { on: on.urls[0]!, off: off.urls[0], statsOn: () => on.stats(), statsOff: () => off.stats() } : { on: cachedUrl };
    rows.push(...(await analyticsScenarios(p, fx, analyticsFx, analyticsTargets, log)));
    await Promise.all([on?.stop(), off?.stop()]);
  }
  // The uncached instance stays up: the admin routes are paired with its verify.
  await Promise.all([ceiling?.stop(), dbCeiling?.stop()]);

  if (runs("two instances") && postgres) {
    log("two instances…");
    const peer: Child = await keyhold("keyhold peer", [{ cache: true }]);
    rows.push(await twoInstanceThroughput(p, fx, cachedUrl, peer.urls[0]!));
    log("  revocation…");
    rows.push(await revocationRow(p, fx, cachedUrl, peer.urls[0]!));
    log("  shared rate limit…");
    rows.push(await sharedRatelimitRow(fx, cachedUrl, peer.urls[0]!));
    await peer.stop();
  } else if (runs("two instances")) {
    rows.push({ scenario: "two instances", unit: "ms", note: "skipped: PGlite is one process; needs PostgreSQL" });
  }

  if (runs("memory")) {
    log("memory…");
    rows.push(await memoryScenario(p, fx, cachedChild, cachedUrl, log));
  }
  if (runs("admin")) {
    log("admin routes…");
    rows.push(...(await adminScenarios(p, fx, cachedUrl, uncachedUrl, log)));
  }
  if (policyTwins) {
    log("policies…");
    rows.push(...(await policyScenarios(p, policyTwins, cachedUrl, log)));
  }
  rows.push(...cryptoRows);
  const cacheStats = (await cachedChild.stats()).caches;
  await stopAllChildren();

  const meta = {
    date: new Date().toISOString(),
    mode: p.quick ? "quick" : "full",
    keys: p.keys,
    database: db.kind === "postgres" ? "PostgreSQL" : "PGlite (fallback)",
    databaseVersion: db.version,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryBytes: os.totalmem(),
    loadAverage: { before: loadBefore, after: os.loadavg() },
    ...(p.only !== undefined && { only: p.only }),
    settings: { ...p, method: "each ratio: median of the pair ratios of interleaved baseline/target runs", logLevel: LOG_LEVEL, verifyCache: "10 000 entries, 60 s TTL, 1 s for unknown keys" },
    seedSeconds,
    cachedInstanceCache: cacheStats,
    elapsedSeconds: (performance.now() - started) / 1000,
  };
  log("");
  log(formatTable(rows));
  const files = writeResults(rows, meta);
  log(`\nwrote ${[files.json, files.markdown].filter(Boolean).join(" and ")} (${meta.elapsedSeconds.toFixed(0)} s)`);
  const misses = rows.filter((r) => r.result === "MISS").map((r) => r.scenario);
  if (misses.length > 0) log(`MISS: ${misses.join("; ")}`);
}

main()
  .catch((error) => {
    process.exitCode = 1;
    console.error(error);
  })
  .finally(() => cleanUp());
