import { type Placeholder, type SQL, and, eq, gte, isNotNull, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { preparedPerHandle } from "../db/prepared.ts";
import { keys, ratelimitWindows } from "../db/schema.ts";
import { type RefillInterval, refillPeriodStart } from "./refill.ts";

/**
 * The two limits verify enforces, each one atomic statement so that concurrent verifies
 * on any number of instances never over-admit. Both run in the caller's transaction, so
 * a request refused by one limit is rolled back out of the other.
 */

export interface RatelimitOutcome {
  passed: boolean;
  limit: number;
  remaining: number;
  reset: number;
}

/** Fixed window: admits `cost` more only if the window's count stays within `limit`. */
export async function consumeRatelimit(
  tx: Database,
  input: { keyId: string; name: string; limit: number; duration: number; cost: number; now: number },
): Promise<RatelimitOutcome> {
  const windowStart = Math.floor(input.now / input.duration) * input.duration;
  const reset = windowStart + input.duration;
  if (input.cost > input.limit) return refuse(tx, input, windowStart, reset);
  const { keyId, name, cost, limit } = input;
  const [row] = await upsertStatements(tx).execute({ keyId, name, windowStart, cost, limit });
  if (!row) return refuse(tx, input, windowStart, reset);
  return { passed: true, limit: input.limit, remaining: Math.max(input.limit - row.count, 0), reset };
}

/**
 * The window upsert, built once per handle and run as a named prepared statement (as
 * spendCredits is): unnamed, drizzle rebuilt it on every call and postgres.js sent it
 * unprepared (describe, then execute: two round trips and a parse per rate-limited verify).
 */
const upsertStatements = preparedPerHandle(prepareRatelimitUpsert);

function prepareRatelimitUpsert(tx: Database) {
  const w = ratelimitWindows;
  const limit = sql.placeholder("limit");
  return tx
    .insert(w)
    .values({ keyId: sql.placeholder("keyId"), name: sql.placeholder("name"), windowStart: sql.placeholder("windowStart"), count: sql.placeholder("cost") })
    .onConflictDoUpdate({
      target: [w.keyId, w.name],
      set: {
        count: sql`case when ${w.windowStart} = excluded.window_start then (${w.count}::bigint + excluded.count)::integer else excluded.count end`,
        windowStart: sql`excluded.window_start`,
      },
      // A newer window already in the row (another instance's clock ahead) refuses: fail closed.
      // The sum is bigint: count and cost may each be up to 2^31-1, and int4 addition would overflow (500).
      setWhere: sql`${w.windowStart} < excluded.window_start or (${w.windowStart} = excluded.window_start and ${w.count}::bigint + excluded.count <= ${limit})`,
    })
    .returning({ count: w.count })
    .prepare("keyhold_consume_ratelimit");
}

/** A refusal takes no slot, so it reports what is really left in the window (a smaller cost may still pass). */
async function refuse(
  tx: Database,
  input: { keyId: string; name: string; limit: number },
  windowStart: number,
  reset: number,
): Promise<RatelimitOutcome> {
  const [row] = await windowStatements(tx).execute({ keyId: input.keyId, name: input.name });
  const used = !row || row.windowStart < windowStart ? 0 : row.windowStart > windowStart ? input.limit : row.count;
  return { passed: false, limit: input.limit, remaining: Math.max(input.limit - used, 0), reset };
}

/** Prepared too: refusals are what a client hammering its limit gets, back to back. */
const windowStatements = preparedPerHandle(prepareReadWindow);

function prepareReadWindow(tx: Database) {
  const w = ratelimitWindows;
  return tx
    .select({ windowStart: w.windowStart, count: w.count })
    .from(w)
    .where(and(eq(w.keyId, sql.placeholder("keyId")), eq(w.name, sql.placeholder("name"))))
    .prepare("keyhold_read_ratelimit_window");
}

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
