import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { apiPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { keys, ratelimitWindows } from "../db/schema.ts";
import { KeyholdError, notFound } from "../errors.ts";
import { type KeySettings, settingsToColumns, writeKeyNames } from "./key-settings.ts";
import { ratelimitsWithNewWindows } from "./key-ratelimits.ts";
import { creditsWithRefill } from "./limits.ts";
import { findKey } from "./read-keys.ts";

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
    const updated = await tx
      .update(keys)
      .set({ ...columns, ...refillDone, updatedAt: now })
      .where(and(eq(keys.id, row.id), eq(keys.workspaceId, ctx.workspaceId), isNull(keys.deletedAt)))
      .returning({ id: keys.id });
    if (updated.length === 0) throw notFound("key"); // deleted meanwhile
    // A window of another length is not comparable: a limit whose duration changed (or that is gone) starts afresh.
    const restarted = columns.ratelimits ? ratelimitsWithNewWindows(row.ratelimits, columns.ratelimits) : [];
    if (restarted.length > 0) {
      await tx.delete(ratelimitWindows).where(and(eq(ratelimitWindows.keyId, row.id), inArray(ratelimitWindows.name, restarted)));
    }
    await writeKeyNames(tx, { id: row.id, workspaceId: ctx.workspaceId }, settings, true);
  });
}

export type RemainingOp = "increment" | "decrement" | "set";

/** Adjusts credits in one atomic statement, so it composes with concurrent verifies. */
export async function updateRemaining(
  db: Database,
  ctx: RootKeyContext,
  input: { keyId: string; op: RemainingOp; value: number | null },
): Promise<{ remaining: number | null }> {
  const row = await findKey(db, ctx.workspaceId, input.keyId);
  requirePermission(ctx, apiPermission(row.apiId, "update_key"));
  if (input.op !== "set" && input.value === null) {
    throw new KeyholdError("BAD_REQUEST", `${input.op} needs a numeric value; only set accepts null (unlimited).`);
  }
  if (input.op !== "set" && row.remaining === null) {
    throw new KeyholdError("BAD_REQUEST", `The key has unlimited credits; ${input.op} needs a limit: use op set first.`);
  }
  if (input.op === "set" && input.value === null && row.refillInterval !== null) {
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
  const [updated] = await db
    .update(keys)
    .set({ remaining: next, lastRefillAt, updatedAt: now })
    .where(and(eq(keys.id, row.id), eq(keys.workspaceId, ctx.workspaceId), isNull(keys.deletedAt)))
    .returning({ remaining: keys.remaining });
  if (!updated) throw notFound("key");
  return { remaining: updated.remaining };
}
