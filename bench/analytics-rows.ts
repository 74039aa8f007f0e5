import { generateTokenKeyPair } from "../src/crypto/service-token.ts";
import { startChild, stopAllChildren } from "./children.ts";
import { type BenchDatabase, createBenchDatabase } from "./database.ts";
import { createFixtures } from "./fixtures.ts";
import { parseProfile } from "./profile.ts";
import { formatTable } from "./report.ts";
import { analyticsScenarios, seedAnalytics } from "./scenarios/analytics.ts";
import type { KeyholdChildConfig } from "./servers/keyhold.ts";

/**
 * `npx tsx bench/analytics-rows.ts [--quick]`: only the two analytics rows of the bench
 * (bench/scenarios/analytics.ts), on 10 000 keys, for a short look without the whole run.
 * `npm run bench` runs the same rows among the others.
 */
const log = (line: string) => process.stdout.write(`${line}\n`);
const p = parseProfile(process.argv.slice(2));
let database: BenchDatabase | null = null;

async function main(): Promise<void> {
  const db = (database = await createBenchDatabase(log));
  const handle = await db.open();
  const fx = await createFixtures(handle.db, p.smallKeys);
  fx.hot = fx.hotSmall;
  log("seeding a month of analytics counts…");
  const analyticsFx = await seedAnalytics(handle.db, fx);
  await handle.close();
  const tokenKeys = await generateTokenKeyPair();
  const vault = await startChild("vault", "./servers/vault.ts", { tokenPublicJwk: tokenKeys.publicJwk });
  const keyhold = (name: string, analytics: boolean) =>
    startChild(name, "./servers/keyhold.ts", {
      database: db.target,
      apps: [{ cache: true, analytics }],
      vault: { url: vault.urls[0]!, privateJwk: tokenKeys.privateJwk },
      logLevel: process.env.BENCH_LOG_LEVEL ?? "warn",
    } satisfies KeyholdChildConfig);
  if (db.kind !== "postgres") throw new Error("the analytics rows need PostgreSQL: two Keyhold processes on one database");
  const [on, off] = [await keyhold("keyhold cached", true), await keyhold("keyhold cached, analytics off", false)];
  const rows = await analyticsScenarios(p, fx, analyticsFx, { on: on.urls[0]!, off: off.urls[0]!, statsOn: () => on.stats(), statsOff: () => off.stats() }, log);
  log(formatTable(rows));
}

main()
  .catch((error) => {
    process.exitCode = 1;
    console.error(error);
  })
  .finally(async () => {
    await stopAllChildren();
    await database?.drop();
  });
