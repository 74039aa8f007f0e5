import { and, count, eq, gt, ilike, isNull, or, sql } from "drizzle-orm";
import { identityPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { identities } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { newId } from "../ids.ts";
import { type KeyRatelimit, type RatelimitSetting, ratelimitsWithNewWindows, replaceRatelimits } from "../keys/key-ratelimits.ts";
import { jsonByteLength } from "../keys/storable.ts";
import { MAX_LIST_LIMIT, cutByBytes } from "../paging.ts";
import { deleteWindows } from "../ratelimits/windows.ts";

/**
 * Identities: a customer of the workspace owning several keys. `externalId` is the caller's
 * id for it, unique among the workspace's live identities; its meta and named rate limits are
 * what every key of it shares (verify reads them with the key, in one join: see
 * src/keys/key-identity.ts). Every query is scoped to the caller's workspace, so another
 * workspace's identity answers exactly like a missing one.
 */

export type IdentityRow = typeof identities.$inferSelect;

export interface IdentityView {
  id: string;
  externalId: string;
  meta: Record<string, unknown> | null;
  ratelimits: KeyRatelimit[];
  createdAt: number;
  updatedAt?: number;
}

/** Unkey's bound on an identity's rate limits (its OpenAPI `maxItems`). */
export const MAX_RATELIMITS_PER_IDENTITY = 50;
const bound = { max: MAX_RATELIMITS_PER_IDENTITY, owner: "An identity" };

/**
 * How a caller names an identity: v2 sends one string that is its id or its externalId (an
 * id wins, as Unkey's lookup); v1 sends `identityId` or `externalId` (`identityId` wins).
 */
export type IdentityRef = string | { identityId?: string; externalId?: string };

export function identityNotFound(): KeyholdError {
  return new KeyholdError("NOT_FOUND", "The identity does not exist.");
}

/** A rate limit as a caller sets it on an identity; `autoApply` left out keeps the stored value of that name (false for a new one). */
export type IdentityRatelimitSetting = Omit<RatelimitSetting, "async">;

function refCondition(ref: IdentityRef) {
  if (typeof ref === "string") return or(eq(identities.id, ref), eq(identities.externalId, ref));
  if (ref.identityId !== undefined) return eq(identities.id, ref.identityId);
  if (ref.externalId !== undefined) return eq(identities.externalId, ref.externalId);
  throw new KeyholdError("BAD_REQUEST", "Send identityId or externalId.");
}

/** A live identity of the workspace, or NOT_FOUND. `lock`: held until the caller's transaction ends. */
export async function findIdentity(db: Database, workspaceId: string, ref: IdentityRef, lock = false): Promise<IdentityRow> {
  const query = db
    .select()
    .from(identities)
    .where(and(eq(identities.workspaceId, workspaceId), isNull(identities.deletedAt), refCondition(ref)))
    // An identity whose id is the string sent comes before one whose externalId is.
    .orderBy(typeof ref === "string" ? sql`${identities.id} = ${ref} desc` : identities.id)
    .limit(1);
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw identityNotFound();
  return row;
}

export function toIdentityView(row: IdentityRow): IdentityView {
  return {
    id: row.id,
    externalId: row.externalId,
    meta: row.meta,
    ratelimits: row.ratelimits,
    createdAt: row.createdAt,
    ...(row.updatedAt !== null && { updatedAt: row.updatedAt }),
  };
}

function withAutoApply(previous: readonly KeyRatelimit[], wanted: readonly IdentityRatelimitSetting[]): RatelimitSetting[] {
  return wanted.map((w) => ({ ...w, autoApply: w.autoApply ?? previous.find((p) => p.name === w.name)?.autoApply ?? false }));
}

export interface CreateIdentityInput {
  externalId: string;
  meta?: Record<string, unknown>;
  ratelimits?: IdentityRatelimitSetting[];
}

/** A new identity; an externalId already live in the workspace is a 409 CONFLICT (exact under concurrency: the unique index decides). */
export async function createIdentity(db: Database, ctx: RootKeyContext, input: CreateIdentityInput): Promise<{ identityId: string }> {
  requirePermission(ctx, identityPermission("*", "create_identity"));
  const ratelimits = replaceRatelimits([], withAutoApply([], input.ratelimits ?? []), bound);
  const now = Date.now();
  const [row] = await db
    .insert(identities)
    .values({ id: newId("id", now), workspaceId: ctx.workspaceId, externalId: input.externalId, meta: input.meta ?? null, ratelimits, createdAt: now })
    .onConflictDoNothing({ target: [identities.workspaceId, identities.externalId], where: isNull(identities.deletedAt) })
    .returning({ id: identities.id });
  if (!row) throw new KeyholdError("CONFLICT", `An identity with the externalId "${input.externalId}" already exists in this workspace.`);
  return { identityId: row.id };
}

export async function getIdentity(db: Database, ctx: RootKeyContext, ref: IdentityRef): Promise<IdentityView> {
  const row = await findIdentity(db, ctx.workspaceId, ref);
  requirePermission(ctx, identityPermission("*", "read_identity"), identityPermission(row.id, "read_identity"));
  return toIdentityView(row);
}

export interface ListIdentitiesInput {
  limit?: number;
  cursor?: string;
  /** Case-insensitive substring of the id or the externalId (v2). */
  search?: string;
}

/** One page in id order (creation order), ending at `limit` or MAX_PAGE_BYTES of JSON; `cursor` continues it. */
export async function listIdentities(
  db: Database,
  ctx: RootKeyContext,
  input: ListIdentitiesInput,
): Promise<{ identities: IdentityView[]; cursor?: string; total: number }> {
  requirePermission(ctx, identityPermission("*", "read_identity"));
  const limit = input.limit ?? MAX_LIST_LIMIT;
  const search = input.search?.trim();
  const pattern = search ? `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
  const scope = and(
    eq(identities.workspaceId, ctx.workspaceId),
    isNull(identities.deletedAt),
    pattern !== undefined ? or(ilike(identities.id, pattern), ilike(identities.externalId, pattern)) : undefined,
  );
  const [rows, [totalRow]] = await Promise.all([
    db
      .select()
      .from(identities)
      .where(and(scope, input.cursor !== undefined ? gt(identities.id, input.cursor) : undefined))
      .orderBy(identities.id)
      .limit(limit + 1),
    db.select({ total: count() }).from(identities).where(scope),
  ]);
  const page = cutByBytes(rows.slice(0, limit), (r) => jsonByteLength(toIdentityView(r)));
  return {
    identities: page.map(toIdentityView),
    ...(rows.length > page.length && { cursor: page.at(-1)!.id }),
    total: totalRow?.total ?? 0,
  };
}

export interface UpdateIdentityInput {
  /** Replaces the meta; `{}` leaves an empty one (v1's "set to {} to clear"). */
  meta?: Record<string, unknown>;
  /** Replaces every rate limit; [] removes them all. A name kept keeps its id. */
  ratelimits?: IdentityRatelimitSetting[];
}

/**
 * Changes meta and rate limits, under a lock on the identity's row, in one transaction. A
 * limit whose window length changed (or that is gone) starts afresh, as a key's does. Every
 * instance's verify cache hears of it from the database (drizzle/0006 `identities_notify_update`).
 */
export async function updateIdentity(db: Database, ctx: RootKeyContext, ref: IdentityRef, input: UpdateIdentityInput): Promise<IdentityView> {
  const found = await findIdentity(db, ctx.workspaceId, ref);
  requirePermission(ctx, identityPermission("*", "update_identity"), identityPermission(found.id, "update_identity"));
  return db.transaction(async (tx) => {
    const row = await findIdentity(tx, ctx.workspaceId, { identityId: found.id }, true);
    const ratelimits = input.ratelimits && replaceRatelimits(row.ratelimits, withAutoApply(row.ratelimits, input.ratelimits), bound);
    const [updated] = await tx
      .update(identities)
      .set({ ...(input.meta !== undefined && { meta: input.meta }), ...(ratelimits && { ratelimits }), updatedAt: Date.now() })
      .where(and(eq(identities.id, row.id), eq(identities.workspaceId, ctx.workspaceId)))
      .returning();
    if (ratelimits) await deleteWindows(tx, row.id, ratelimitsWithNewWindows(row.ratelimits, ratelimits));
    return toIdentityView(updated!);
  });
}

/**
 * Soft-deletes the identity, as Unkey does: its keys stay and keep verifying, but without it
 * (no externalId/ownerId, no identity meta, no shared limits), since every read joins only a
 * live identity. Its limits' windows go. A new identity may then take the same externalId;
 * the old keys do not join it (as in Unkey).
 */
export async function deleteIdentity(db: Database, ctx: RootKeyContext, ref: IdentityRef): Promise<void> {
  const found = await findIdentity(db, ctx.workspaceId, ref);
  requirePermission(ctx, identityPermission("*", "delete_identity"), identityPermission(found.id, "delete_identity"));
  await db.transaction(async (tx) => {
    const deleted = await tx
      .update(identities)
      .set({ deletedAt: Date.now() })
      .where(and(eq(identities.id, found.id), eq(identities.workspaceId, ctx.workspaceId), isNull(identities.deletedAt)))
      .returning({ id: identities.id });
    if (deleted.length === 0) throw identityNotFound(); // deleted meanwhile
    await deleteWindows(tx, found.id);
  });
}

/**
 * The live identity of each externalId in the workspace, made where there is none yet: how a
 * key's v2 `externalId` / v1 `ownerId` links it (Unkey v2's createKey does the same). One
 * statement; in externalId order, so two transactions linking the same owners take their row
 * locks in one order. The no-op update on a conflict locks the identity until the caller's
 * transaction ends, so a concurrent delete cannot slip between the link and the key's write.
 */
export async function ensureIdentities(tx: Database, workspaceId: string, externalIds: Iterable<string>): Promise<Map<string, string>> {
  const wanted = [...new Set(externalIds)].sort();
  if (wanted.length === 0) return new Map();
  const now = Date.now();
  const rows = await tx
    .insert(identities)
    .values(wanted.map((externalId) => ({ id: newId("id", now), workspaceId, externalId, createdAt: now })))
    .onConflictDoUpdate({
      target: [identities.workspaceId, identities.externalId],
      targetWhere: isNull(identities.deletedAt),
      set: { externalId: sql`excluded.external_id` },
    })
    .returning({ id: identities.id, externalId: identities.externalId });
  return new Map(rows.map((r) => [r.externalId, r.id]));
}
