import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { preparedPerHandle } from "../db/prepared.ts";
import { ratelimitWindows } from "../db/schema.ts";

/**
 * Fixed-window rate limiting, one atomic statement per check, so that concurrent checks on
 * any number of instances never over-admit. Every kind of limit uses it: a key's named
 * limits, an identity's shared ones, standalone namespaces. A check runs in the caller's
 * transaction when there is one, so a request refused by a later check is rolled back out
 * of it.
 */

export interface RatelimitOutcome {
  passed: boolean;
  limit: number;
  remaining: number;
  reset: number;
}

export interface RatelimitCheckInput {
  /** What is limited: a key, an identity or a namespace id (ids are prefixed, so they never collide). */
  subjectId: string;
  /** The limit's name (keys, identities) or the identifier (namespaces). */
  name: string;
  limit: number;
  duration: number;
  cost: number;
  now: number;
}

/** Admits `cost` more only if the window's count stays within `limit`. */
export async function consumeRatelimit(tx: Database, input: RatelimitCheckInput): Promise<RatelimitOutcome> {
  const windowStart = Math.floor(input.now / input.duration) * input.duration;
  const reset = windowStart + input.duration;
  if (input.cost > input.limit) return refuse(tx, input, windowStart, reset);
  const { subjectId, name, cost, limit } = input;
  const [row] = await upsertStatements(tx).execute({ subjectId, name, windowStart, cost, limit, expiresAt: reset });
  if (!row) return refuse(tx, input, windowStart, reset);
  return { passed: true, limit: input.limit, remaining: Math.max(input.limit - row.count, 0), reset };
}

/**
 * The window upsert, built once per handle and run as a named prepared statement: unnamed,
 * drizzle rebuilt it on every call and postgres.js sent it unprepared (describe, then
 * execute: two round trips and a parse per check).
 */
const upsertStatements = preparedPerHandle(prepareRatelimitUpsert);

function prepareRatelimitUpsert(tx: Database) {
  const w = ratelimitWindows;
  const limit = sql.placeholder("limit");
  return tx
    .insert(w)
    .values({
      subjectId: sql.placeholder("subjectId"),
      name: sql.placeholder("name"),
      windowStart: sql.placeholder("windowStart"),
      count: sql.placeholder("cost"),
      expiresAt: sql.placeholder("expiresAt"),
    })
    .onConflictDoUpdate({
      target: [w.subjectId, w.name],
      set: {
        count: sql`case when ${w.windowStart} = excluded.window_start then (${w.count}::bigint + excluded.count)::integer else excluded.count end`,
        windowStart: sql`excluded.window_start`,
        expiresAt: sql`excluded.expires_at`,
      },
      // A newer window already in the row (another instance's clock ahead) refuses: fail closed.
      // The sum is bigint: count and cost may each be up to 2^31-1, and int4 addition would overflow (500).
      setWhere: sql`${w.windowStart} < excluded.window_start or (${w.windowStart} = excluded.window_start and ${w.count}::bigint + excluded.count <= ${limit})`,
    })
    .returning({ count: w.count })
    .prepare("keyhold_consume_ratelimit");
}

/** A refusal takes no slot, so it reports what is really left in the window (a smaller cost may still pass). */
async function refuse(tx: Database, input: RatelimitCheckInput, windowStart: number, reset: number): Promise<RatelimitOutcome> {
  const [row] = await windowStatements(tx).execute({ subjectId: input.subjectId, name: input.name });
  const used = !row || row.windowStart < windowStart ? 0 : row.windowStart > windowStart ? input.limit : row.count;
  return { passed: false, limit: input.limit, remaining: Math.max(input.limit - used, 0), reset };
}

/** Prepared too: refusals are what a client hammering its limit gets, back to back. */
const windowStatements = preparedPerHandle((tx: Database) => {
  const w = ratelimitWindows;
  return tx
    .select({ windowStart: w.windowStart, count: w.count })
    .from(w)
    .where(and(eq(w.subjectId, sql.placeholder("subjectId")), eq(w.name, sql.placeholder("name"))))
    .prepare("keyhold_read_ratelimit_window");
});

/** Removes a subject's windows (a key deleted for good, limits that restart). */
export async function deleteWindows(tx: Database, subjectId: string, names?: string[]): Promise<void> {
  const w = ratelimitWindows;
  if (names?.length === 0) return;
  await tx.delete(w).where(and(eq(w.subjectId, subjectId), names ? inArray(w.name, names) : undefined));
}

/** How often a server prunes ended windows. */
export const WINDOW_PRUNE_EVERY_MS = 60_000;

/**
 * A window that ended more than `graceMs` ago is dead weight: the next check of its subject
 * would replace it with a fresh one anyway. The grace keeps it a little longer for an
 * instance whose clock runs behind, which must still see the newer window and refuse.
 * Deletes at most `batch` rows per statement, so pruning never holds long locks.
 */
export async function pruneExpiredWindows(db: Database, now: number, { graceMs = 60_000, batch = 5_000 } = {}): Promise<number> {
  const w = ratelimitWindows;
  let total = 0;
  for (;;) {
    const victims = db
      .select({ subjectId: w.subjectId, name: w.name })
      .from(w)
      .where(lt(w.expiresAt, now - graceMs))
      .limit(batch);
    const deleted = await db
      .delete(w)
      .where(sql`(${w.subjectId}, ${w.name}) in (${victims})`)
      .returning({ subjectId: w.subjectId });
    total += deleted.length;
    if (deleted.length < batch) return total;
  }
}
