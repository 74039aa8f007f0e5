import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { migrationStatus } from "../db/migration-status.ts";
import type { VaultClient } from "../vault-client/vault-client.ts";

export interface ReadinessCheck {
  name: "database" | "migrations" | "vault";
  ready: boolean;
  /** For the response: fixed wording, never a driver's message (it may carry query values). */
  detail: string;
  /** The underlying failure, for the log only. */
  error?: unknown;
}

const TIMEOUT_MS = 2000;

/**
 * Whether this instance can serve: the database answers, its migrations are current
 * (a newer instance may have applied more) and the vault, if configured, answers and
 * accepts this API's token. Each probe is bounded so a hung dependency reads as not ready.
 */
export async function checkReadiness(deps: { db: Database; vault: VaultClient | null }): Promise<ReadinessCheck[]> {
  const [database, vault] = await Promise.all([probeDatabase(deps.db), probeVault(deps.vault)]);
  return [...database, vault];
}

async function probeDatabase(db: Database): Promise<ReadinessCheck[]> {
  try {
    await within(db.execute(sql`select 1`), "the database");
  } catch (error) {
    return [
      { name: "database", ready: false, detail: "does not answer", error },
      { name: "migrations", ready: false, detail: "unknown (no database)" },
    ];
  }
  try {
    const { applied, known } = await within(migrationStatus(db), "the database");
    const detail = `${applied} of ${known} applied`;
    return [
      { name: "database", ready: true, detail: "answers" },
      { name: "migrations", ready: applied >= known, detail: applied >= known ? detail : `${detail}: run keyhold migrate` },
    ];
  } catch (error) {
    return [
      { name: "database", ready: true, detail: "answers" },
      { name: "migrations", ready: false, detail: "could not be read", error },
    ];
  }
}

async function probeVault(vault: VaultClient | null): Promise<ReadinessCheck> {
  if (!vault) return { name: "vault", ready: true, detail: "not configured" };
  try {
    // An authenticated call: proves the vault is up and accepts this API's token.
    await within(vault.describeKeyring("readyz-probe"), "the vault");
    return { name: "vault", ready: true, detail: "answers" };
  } catch (error) {
    return { name: "vault", ready: false, detail: "unreachable or refusing this API's token", error };
  }
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} gave no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
