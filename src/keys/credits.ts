import { type Placeholder, type SQL, and, eq, gte, isNotNull, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { preparedPerHandle } from "../db/prepared.ts";
import { keys } from "../db/schema.ts";
import { type RefillInterval, refillPeriodStart } from "./refill.ts";

/**
 * Credits: one atomic statement per spend, so that concurrent verifies on any number of
 * instances never overspend. It runs in the caller's transaction when there is one, so a
 * request refused by a later check is rolled back out of it.
 */

export interface CreditState {
  id: string;
  refillInterval: RefillInterval | null;
  refillDay: number | null;
}

/**
 * Spends `cost` credits if the balance allows, applying a due refill in the same
 * statement. Returns the new balance, or null when the key has too few credits.
 */
export async function spendCredits(tx: Database, key: CreditState, cost: number, now: number): Promise<number | null> {
  const [row] = await spendStatements(tx).execute({ id: key.id, cost, now, periodStart: periodStartOf(key, now) });
  return row ? row.remaining : null;
}

/**
 * Built once per handle and run as a named prepared statement: unnamed, drizzle rebuilt it on
 * every call and postgres.js sent it unprepared (describe, then execute: two round trips).
 */
const spendStatements = preparedPerHandle(prepareSpendCredits);

function prepareSpendCredits(tx: Database) {
  const cost = sql.placeholder("cost");
  const { balance, lastRefillAt } = refillSql(sql.placeholder("periodStart"), sql.placeholder("now"));
  return tx
    .update(keys)
    .set({ remaining: sql`${balance} - ${cost}`, lastRefillAt })
    .where(and(eq(keys.id, sql.placeholder("id")), isNotNull(keys.remaining), gte(balance, cost)))
    .returning({ remaining: keys.remaining })
    .prepare("keyhold_spend_credits");
}

/**
 * The balance as it stands (a due refill counted), for a refused spend to report: one
 * indexed read, only on that path, in the refusing transaction when there is one.
 */
export async function creditBalance(tx: Database, key: CreditState, now: number): Promise<number> {
  const [row] = await balanceStatements(tx).execute({ id: key.id, periodStart: periodStartOf(key, now) });
  return row?.balance ?? 0;
}

const balanceStatements = preparedPerHandle((tx) => {
  const { balance } = refillSql(sql.placeholder("periodStart"), 0);
  return tx
    .select({ balance: sql<number>`coalesce(${balance}, 0)`.mapWith(Number) })
    .from(keys)
    .where(eq(keys.id, sql.placeholder("id")))
    .prepare("keyhold_credit_balance");
});

/**
 * SQL for a key's balance counting a refill that is due at `now`, and the matching
 * `last_refill_at`: every statement that writes credits uses both, so a due refill is
 * applied exactly once, by whichever statement comes first.
 */
export function creditsWithRefill(key: CreditState, now: number): { balance: SQL; lastRefillAt: SQL } {
  return refillSql(periodStartOf(key, now), now);
}

function periodStartOf(key: CreditState, now: number): number {
  return key.refillInterval ? refillPeriodStart(key.refillInterval, key.refillDay, now) : 0;
}

function refillSql(periodStart: number | Placeholder, now: number | Placeholder): { balance: SQL; lastRefillAt: SQL } {
  const due = sql`(${keys.refillInterval} is not null and coalesce(${keys.lastRefillAt}, ${keys.createdAt}) < ${periodStart})`;
  return {
    balance: sql`(case when ${due} then ${keys.refillAmount} else ${keys.remaining} end)`,
    lastRefillAt: sql`case when ${due} then ${now}::bigint else ${keys.lastRefillAt} end`,
  };
}
