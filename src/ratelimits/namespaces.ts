import { and, asc, eq, inArray, or, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { ratelimitNamespaces, ratelimitOverrides } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { newId } from "../ids.ts";
import { isWildcard, matchesWildcard } from "./wildcard.ts";

/** A namespace as a limit call needs it: its id and name, and its overrides ready to match. */
export interface Namespace {
  id: string;
  workspaceId: string;
  name: string;
  /** Every override by its exact identifier (patterns included, as written). */
  exact: Map<string, Override>;
  /** The overrides whose identifier holds `*`, oldest first: the first that matches wins. */
  wildcards: Override[];
}

export interface Override {
  id: string;
  identifier: string;
  limit: number;
  duration: number;
  async: boolean | null;
}

/** How a request names a namespace: v2 gives one string that is either, v1 one of the two. */
export type NamespaceRef = { nameOrId: string } | { id: string } | { name: string };

export const NAMESPACE_ID_PREFIX = "rlns_";

export const namespaceNotFound = () => new KeyholdError("NOT_FOUND", "The namespace does not exist.");

/**
 * The override for `identifier`: the one set for exactly it, else the oldest wildcard pattern
 * that matches it (Unkey takes the first its database lists, an order it leaves unspecified;
 * Keyhold fixes it to creation order, so the answer never changes between calls).
 */
export function matchOverride(ns: Namespace, identifier: string): Override | undefined {
  const exact = ns.exact.get(identifier);
  if (exact) return exact;
  return ns.wildcards.find((o) => matchesWildcard(identifier, o.identifier));
}

/** A workspace's namespace with all its overrides (read in one transaction-free pair of queries), or null. */
export async function loadNamespace(db: Database, workspaceId: string, ref: NamespaceRef): Promise<Namespace | null> {
  const n = ratelimitNamespaces;
  const where =
    "nameOrId" in ref ? or(eq(n.id, ref.nameOrId), eq(n.name, ref.nameOrId)) : "id" in ref ? eq(n.id, ref.id) : eq(n.name, ref.name);
  // An id that is also another namespace's name: the id wins (ids are `rlns_…`, names made by limit calls never are).
  const [row] = await db
    .select()
    .from(n)
    .where(and(eq(n.workspaceId, workspaceId), where))
    .orderBy(sql`${n.id} = ${"nameOrId" in ref ? ref.nameOrId : ""} desc`)
    .limit(1);
  if (!row) return null;
  const overrides = await db
    .select()
    .from(ratelimitOverrides)
    .where(and(eq(ratelimitOverrides.workspaceId, workspaceId), eq(ratelimitOverrides.namespaceId, row.id)))
    .orderBy(asc(ratelimitOverrides.id));
  return toNamespace(row, overrides);
}

function toNamespace(row: typeof ratelimitNamespaces.$inferSelect, rows: (typeof ratelimitOverrides.$inferSelect)[]): Namespace {
  const exact = new Map<string, Override>();
  const wildcards: Override[] = [];
  for (const r of rows) {
    const override: Override = { id: r.id, identifier: r.identifier, limit: r.limit, duration: r.duration, async: r.async };
    exact.set(r.identifier, override);
    if (isWildcard(r.identifier)) wildcards.push(override);
  }
  return { id: row.id, workspaceId: row.workspaceId, name: row.name, exact, wildcards };
}

/**
 * Creates the namespaces named `names` that do not exist yet (one statement; a namespace made
 * meanwhile by a concurrent call, on any instance, is kept) and returns each id by name.
 */
export async function ensureNamespaces(db: Database, workspaceId: string, names: string[]): Promise<Map<string, string>> {
  const n = ratelimitNamespaces;
  const now = Date.now();
  await db
    .insert(n)
    .values(names.map((name) => ({ id: newId("rlns", now), workspaceId, name, createdAt: now })))
    .onConflictDoNothing({ target: [n.workspaceId, n.name] });
  const rows = await db
    .select({ id: n.id, name: n.name })
    .from(n)
    .where(and(eq(n.workspaceId, workspaceId), inArray(n.name, names)));
  return new Map(rows.map((r) => [r.name, r.id]));
}
