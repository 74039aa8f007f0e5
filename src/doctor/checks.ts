import { existsSync, statSync } from "node:fs";
import { sql } from "drizzle-orm";
import { type Config, databaseTarget, describeDatabase } from "../config.ts";
import { openDatabase } from "../db/client.ts";
import { executeRows } from "../db/execute-rows.ts";
import { migrationStatus } from "../db/migrate.ts";
import { KeyholdError } from "../errors.ts";
import { dirRefusal, loosePaths, usesDataDir } from "../private-data-dir.ts";
import { masterKeyFile } from "../vault/server/open-vault.ts";
import { vaultDir } from "../vault/server/start-vault.ts";
import { vaultClientFromConfig } from "../vault-client/from-config.ts";
import { layoutWarnings } from "./layout.ts";

export type CheckStatus = "OK" | "WARN" | "FAIL";

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

const MAX_CLOCK_SKEW_MS = 2000;

/** Everything `keyhold doctor` looks at, each a line with OK, WARN or FAIL. */
export async function runChecks(config: Config): Promise<Check[]> {
  const checks: Check[] = [];
  if (usesDataDir(config) || existsSync(config.dataDir)) checks.push(checkDataDirModes(config.dataDir));
  checks.push(...(await checkDatabase(config)));
  checks.push(await checkVault(config));
  checks.push(checkMasterKeyFile(config));
  for (const warning of layoutWarnings(config)) checks.push({ name: "layout", status: "WARN", detail: warning });
  return checks;
}

async function checkDatabase(config: Config): Promise<Check[]> {
  const target = databaseTarget(config);
  let handle;
  try {
    handle = await openDatabase(target);
  } catch (error) {
    if (error instanceof KeyholdError && error.code === "CONFLICT") {
      return [{ name: "database", status: "OK", detail: `${describeDatabase(config)} is open in a running Keyhold (${error.message.match(/pid \d+/)?.[0] ?? "another process"})` }];
    }
    return [{ name: "database", status: "FAIL", detail: `${describeDatabase(config)}: ${(error as Error).message.split("\n")[0]}` }];
  }
  try {
    const checks: Check[] = [];
    const before = Date.now();
    const [clock] = await executeRows<{ now: string }>(handle.db, sql`select (extract(epoch from clock_timestamp()) * 1000)::bigint as now`);
    const skew = Math.abs(Number(clock!.now) - (before + Date.now()) / 2);
    checks.push({ name: "database", status: "OK", detail: `${describeDatabase(config)} answers` });
    const { applied, known } = await migrationStatus(handle.db);
    checks.push(
      applied === known
        ? { name: "migrations", status: "OK", detail: `${applied} of ${known} applied` }
        : { name: "migrations", status: "FAIL", detail: `${applied} of ${known} applied: run keyhold migrate` },
    );
    checks.push(
      skew <= MAX_CLOCK_SKEW_MS
        ? { name: "clock", status: "OK", detail: `within ${Math.round(skew)} ms of the database` }
        : { name: "clock", status: "FAIL", detail: `${Math.round(skew)} ms off the database's clock: expiry and rate-limit windows depend on it` },
    );
    return checks;
  } catch (error) {
    return [{ name: "database", status: "FAIL", detail: (error as Error).message.split("\n")[0]! }];
  } finally {
    await handle.close();
  }
}

async function checkVault(config: Config): Promise<Check> {
  const { client, url } = await vaultClientFromConfig(config);
  try {
    await client.describeKeyring("doctor-probe"); // authenticated: proves the token is accepted
    return { name: "vault", status: "OK", detail: `${url} answers and accepts this API's token` };
  } catch (error) {
    const hint = config.vaultUrl ? "" : " (the embedded vault runs inside keyhold serve)";
    return { name: "vault", status: "FAIL", detail: `${url}: ${(error as Error).message}${hint}` };
  }
}

/** The data dir and every file and directory in it: owned by this user, nothing open to group or world. */
function checkDataDirModes(dir: string): Check {
  if (!existsSync(dir)) return { name: "data dir", status: "OK", detail: `${dir} does not exist yet; it is created owner-only (700)` };
  const refusal = dirRefusal(dir);
  if (refusal) return { name: "data dir", status: "FAIL", detail: `${refusal} Keyhold refuses to start on it.` };
  const { count, first } = loosePaths(dir);
  if (count === 0) return { name: "data dir", status: "OK", detail: `${dir}: owner-only, every file and directory in it too` };
  const more = count > first.length ? `, and ${count - first.length} more` : "";
  return {
    name: "data dir",
    status: "FAIL",
    detail: `${count} path(s) in ${dir} are open to group or others (keyhold serve tightens them on start; or chmod -R go-rwx ${dir}): ${first.join(", ")}${more}`,
  };
}

function checkMasterKeyFile(config: Config): Check {
  if (config.vaultMasterKeys) return { name: "master keys", status: "OK", detail: "from VAULT_MASTER_KEYS" };
  const path = masterKeyFile(vaultDir(config));
  if (!existsSync(path)) return { name: "master keys", status: "WARN", detail: `${path} does not exist yet; the vault creates it on first start` };
  const mode = statSync(path).mode & 0o777;
  return mode & 0o077
    ? { name: "master keys", status: "FAIL", detail: `${path} is readable by others (mode ${mode.toString(8)}): chmod 600 it` }
    : { name: "master keys", status: "OK", detail: `${path} (mode 600)` };
}
