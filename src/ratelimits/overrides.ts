import { and, asc, count, eq, gt } from "drizzle-orm";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import { hasPermission } from "../auth/permissions.ts";
import type { Database } from "../db/client.ts";
import { ratelimitOverrides } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { newId } from "../ids.ts";
import type { NamespaceCache } from "./namespace-cache.ts";
import { type Namespace, type NamespaceRef, type Override, loadNamespace, matchOverride, namespaceNotFound } from "./namespaces.ts";

/**
 * Overrides of a namespace (`ratelimit.setOverride / getOverride / listOverrides /
 * deleteOverride`, v1 `ratelimits.*`): a limit and duration that replace what limit calls
 * ask for, for one identifier or every identifier a `*` pattern matches. Read from the
 * database (not the cache), written in one statement each; every instance's namespace cache
 * hears of the change through drizzle/0007's trigger, this one's at once.
 */

export interface OverrideDeps {
  db: Database;
  namespaceCache?: NamespaceCache | null;
}

type Action = "set_override" | "read_override" | "delete_override";
const permissionsFor = (ns: Namespace, action: Action) => [`ratelimit.*.${action}`, `ratelimit.${ns.id}.${action}`];

export const overrideNotFound = () => new KeyholdError("NOT_FOUND", "The override does not exist.");

async function namespaceOf(db: Database, ctx: RootKeyContext, ref: NamespaceRef): Promise<Namespace> {
  const ns = await loadNamespace(db, ctx.workspaceId, ref);
  if (!ns) throw namespaceNotFound();
  return ns;
}

export interface OverrideInput {
  identifier: string;
  limit: number;
  duration: number;
  async?: boolean;
}

/** Creates or replaces the override of `identifier` (its id stays the same on a replace). */
export async function setOverride(deps: OverrideDeps, ctx: RootKeyContext, ref: NamespaceRef, input: OverrideInput): Promise<{ overrideId: string }> {
  const ns = await namespaceOf(deps.db, ctx, ref);
  requirePermission(ctx, ...permissionsFor(ns, "set_override"));
  const o = ratelimitOverrides;
  const now = Date.now();
  const [row] = await deps.db
    .insert(o)
    .values({
      id: newId("rlor", now),
      workspaceId: ctx.workspaceId,
      namespaceId: ns.id,
      identifier: input.identifier,
      limit: input.limit,
      duration: input.duration,
      async: input.async ?? null,
      createdAt: now,
    })
    .onConflictDoUpdate({
      target: [o.namespaceId, o.identifier],
      set: { limit: input.limit, duration: input.duration, async: input.async ?? null, updatedAt: now },
    })
    .returning({ id: o.id });
  deps.namespaceCache?.forgetWorkspace(ctx.workspaceId);
  return { overrideId: row!.id };
}

export interface GetOverrideOptions {
  /**
   * "exact": the override set for exactly `identifier` (v1). "matching": the one a limit call
   * for `identifier` would apply, a wildcard's included, and a root key without read_override
   * gets the same NOT_FOUND as a missing override, so it cannot learn which identifiers have
   * one (Unkey v2).
   */
  match: "exact" | "matching";
}

export async function getOverride(deps: OverrideDeps, ctx: RootKeyContext, ref: NamespaceRef, identifier: string, options: GetOverrideOptions): Promise<Override> {
  const ns = await namespaceOf(deps.db, ctx, ref);
  const permissions = permissionsFor(ns, "read_override");
  if (options.match === "exact") {
    requirePermission(ctx, ...permissions);
    const override = ns.exact.get(identifier);
    if (!override) throw overrideNotFound();
    return override;
  }
  const override = matchOverride(ns, identifier);
  if (!override || !permissions.some((p) => hasPermission(ctx.permissions, p))) throw overrideNotFound();
  return override;
}

export interface OverridePage {
  overrides: Override[];
  /** Where the next page starts; absent on the last page. */
  cursor?: string;
  total: number;
}

/** Oldest first, `limit` a page; the cursor is the last override id of the page. */
export async function listOverrides(deps: OverrideDeps, ctx: RootKeyContext, ref: NamespaceRef, page: { limit: number; cursor?: string }): Promise<OverridePage> {
  const ns = await namespaceOf(deps.db, ctx, ref);
  requirePermission(ctx, ...permissionsFor(ns, "read_override"));
  const o = ratelimitOverrides;
  const scope = and(eq(o.workspaceId, ctx.workspaceId), eq(o.namespaceId, ns.id));
  const rows = await deps.db
    .select()
    .from(o)
    .where(and(scope, page.cursor === undefined ? undefined : gt(o.id, page.cursor)))
    .orderBy(asc(o.id))
    .limit(page.limit + 1);
  const [{ total } = { total: 0 }] = await deps.db.select({ total: count() }).from(o).where(scope);
  const overrides = rows.slice(0, page.limit).map((r) => ({ id: r.id, identifier: r.identifier, limit: r.limit, duration: r.duration, async: r.async }));
  return { overrides, total, ...(rows.length > page.limit && { cursor: overrides.at(-1)!.id }) };
}

/** Deletes the override set for exactly `identifier` (a pattern by its pattern). */
export async function deleteOverride(deps: OverrideDeps, ctx: RootKeyContext, ref: NamespaceRef, identifier: string): Promise<void> {
  const ns = await namespaceOf(deps.db, ctx, ref);
  requirePermission(ctx, ...permissionsFor(ns, "delete_override"));
  const o = ratelimitOverrides;
  const deleted = await deps.db
    .delete(o)
    .where(and(eq(o.workspaceId, ctx.workspaceId), eq(o.namespaceId, ns.id), eq(o.identifier, identifier)))
    .returning({ id: o.id });
  if (deleted.length === 0) throw overrideNotFound();
  deps.namespaceCache?.forgetWorkspace(ctx.workspaceId);
}
