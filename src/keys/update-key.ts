import { and, eq, isNull, sql } from "drizzle-orm";
import { apiPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { keys } from "../db/schema.ts";
import { KeyholdError, notFound } from "../errors.ts";
import { type KeySettings, settingsToColumns, writeKeyNames } from "./key-settings.ts";
import { ratelimitsWithNewWindows } from "./key-ratelimits.ts";
import { creditsWithRefill } from "./credits.ts";
import { deleteWindows } from "../ratelimits/windows.ts";
import type { KeyView } from "./key-view.ts";
import { findKey } from "./read-keys.ts";
import { ensureIdentities } from "../identities/identities.ts";

/** Changes the given settings; the key's id, hash, API and workspace can never change. */
export async function updateKey(db: Database, ctx: RootKeyContext, keyId: string, settings: KeySettings): Promise<void> {
  const row = await findKey(db, ctx.workspaceId, keyId);
  requirePermission(ctx, apiPermission(row.apiId, "update_key"));
  const now = Date.now();
  const columns = settingsToColumns(settings, now, row.ratelimits);
  const refill = settings.refill === undefined ? row.refillInterval : settings.refill;
  const remaining = settings.remaining === undefined ? row.remaining : settings.remaining;
  if (refill && remaining === null) throw new KeyholdError("BAD_REQUEST", "refill needs remaining: set the credits too.");
  // Credits set by hand while a refill is due stand; the due refill counts as done.
  const refillDone = settings.remaining !== undefined && settings.refill === undefined && { lastRefillAt: creditsWithRefill(row, now).lastRefillAt };
  await db.transaction(async (tx) => {
    // The owner: null unlinks; an externalId links to its identity, made on first use.
    const owner = settings.ownerId;
    const link = owner === undefined ? {} : { identityId: owner === null ? null : (await ensureIdentities(tx, ctx.workspaceId, [owner])).get(owner)! };
    const updated = await tx
      .update(keys)
      .set({ ...columns, ...link, ...refillDone, updatedAt: now })
      .where(and(eq(keys.id, row.id), eq(keys.workspaceId, ctx.workspaceId), isNull(keys.deletedAt)))
      .returning({ id: keys.id });
    if (updated.length === 0) throw notFound("key"); // deleted meanwhile
    // A window of another length is not comparable: a limit whose duration changed (or that is gone) starts afresh.
    const restarted = columns.ratelimits ? ratelimitsWithNewWindows(row.ratelimits, columns.ratelimits) : [];
    if (restarted.length > 0) {
      await deleteWindows(tx, row.id, restarted);
    }
    await writeKeyNames(tx, { id: row.id, workspaceId: ctx.workspaceId }, settings, true);
  });
}

export type RemainingOp = "increment" | "decrement" | "set";

export interface RemainingResult {
  remaining: number | null;
  refill?: NonNullable<KeyView["refill"]>;
}

/**
 * Adjusts credits in one atomic statement, so it composes with concurrent verifies.
 * `set` to null (unlimited) on a key that refills: v1 refuses (remove the refill first);
 * with `unlimitedClearsRefill` (v2, as Unkey's updateCredits does) the refill goes too.
 */
export async function updateRemaining(
  db: Database,
  ctx: RootKeyContext,
  input: { keyId: string; op: RemainingOp; value: number | null },
  options: { unlimitedClearsRefill?: boolean } = {},
): Promise<RemainingResult> {
  const row = await findKey(db, ctx.workspaceId, input.keyId);
  requirePermission(ctx, apiPermission(row.apiId, "update_key"));
  if (input.op !== "set" && input.value === null) {
    throw new KeyholdError("BAD_REQUEST", `${input.op} needs a numeric value; only set accepts null (unlimited).`);
  }
  if (input.op !== "set" && row.remaining === null) {
    throw new KeyholdError("BAD_REQUEST", `The key has unlimited credits; ${input.op} needs a limit: use op set first.`);
  }
  const unlimited = input.op === "set" && input.value === null;
  if (unlimited && row.refillInterval !== null && !options.unlimitedClearsRefill) {
    throw new KeyholdError("BAD_REQUEST", "The key refills its credits; remove the refill before making it unlimited.");
  }
  // On the balance as getKey shows it: a refill that is due is applied here, not later on top.
  const now = Date.now();
  const { balance, lastRefillAt } = creditsWithRefill(row, now);
  const next = {
    set: sql`${input.value}::integer`,
    increment: sql`least(${balance}::bigint + ${input.value}, 2147483647)::integer`,
    decrement: sql`greatest(${balance} - ${input.value}, 0)`,
  }[input.op];
  const noRefill = unlimited && { refillInterval: null, refillAmount: null, refillDay: null, lastRefillAt: null };
  const [updated] = await db
    .update(keys)
    .set({ remaining: next, lastRefillAt, ...noRefill, updatedAt: now })
    .where(and(eq(keys.id, row.id), eq(keys.workspaceId, ctx.workspaceId), isNull(keys.deletedAt)))
    .returning({ remaining: keys.remaining, interval: keys.refillInterval, amount: keys.refillAmount, refillDay: keys.refillDay });
  if (!updated) throw notFound("key");
  const { remaining, interval, amount, refillDay } = updated;
  return {
    remaining,
    ...(interval !== null && amount !== null && { refill: { interval, amount, ...(refillDay !== null && { refillDay }) } }),
  };
}
