import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import { hasPermission } from "../auth/permissions.ts";
import type { Database } from "../db/client.ts";
import { KeyholdError } from "../errors.ts";
import type { NamespaceCache } from "./namespace-cache.ts";
import { NAMESPACE_ID_PREFIX, type Namespace, ensureNamespaces, loadNamespace, matchOverride, namespaceNotFound } from "./namespaces.ts";
import { type RatelimitOutcome, consumeRatelimit } from "./windows.ts";

/**
 * `ratelimit.limit` and `ratelimit.multiLimit` (v1 `ratelimits.limit`): fixed windows of any
 * identifier in a namespace of the caller's workspace, counted by the same atomic upsert as
 * key limits (windows.ts), so they are exact on any number of instances. With the namespace
 * cached (namespace-cache.ts) a call is the root-key check (cached) and one statement.
 */

export interface LimitRequest {
  namespace: string;
  identifier: string;
  limit: number;
  duration: number;
  cost: number;
}

export interface LimitResult extends RatelimitOutcome {
  /** The override that set limit and duration, if one did. */
  overrideId?: string;
}

export interface LimitDeps {
  db: Database;
  namespaceCache?: NamespaceCache | null;
}

export interface LimitOptions {
  /**
   * What a namespace that does not exist answers to a root key without
   * `ratelimit.*.create_namespace`: Unkey v2 refuses the permission (403), v1 said NOT_FOUND.
   */
  missingNamespace: "INSUFFICIENT_PERMISSIONS" | "NOT_FOUND";
  now?: number;
}

export const CREATE_NAMESPACE = "ratelimit.*.create_namespace";
const limitPermission = (ns: Namespace) => [`ratelimit.*.limit`, `ratelimit.${ns.id}.limit`];

export async function limit(deps: LimitDeps, ctx: RootKeyContext, req: LimitRequest, options: LimitOptions): Promise<LimitResult> {
  // The hot path: a cached namespace is read without an await (or the sets of namespacesFor).
  const ns = deps.namespaceCache?.peek(ctx.workspaceId, req.namespace) ?? (await namespacesFor(deps, ctx, [req.namespace], options))[0]!;
  requirePermission(ctx, ...limitPermission(ns));
  const check = checkFor(ns, req, options.now ?? Date.now());
  const outcome = await consumeRatelimit(deps.db, check.window);
  return { ...outcome, limit: check.window.limit, ...(check.overrideId !== undefined && { overrideId: check.overrideId }) };
}

export interface MultiLimitResult {
  passed: boolean;
  limits: (LimitResult & { namespace: string; identifier: string })[];
}

/**
 * Several limits, all or nothing (as Unkey's): every check is made, and each answer says
 * whether that one fitted, but the windows keep the request's cost only if all fitted. In
 * one transaction, whose rollback takes back what the fitting ones took; their `remaining`
 * then counts it back in, since nothing was consumed. Windows are taken in one order
 * (subject, name), so two batches naming the same windows never deadlock.
 */
export async function multiLimit(deps: LimitDeps, ctx: RootKeyContext, reqs: LimitRequest[], options: LimitOptions): Promise<MultiLimitResult> {
  const namespaces = await namespacesFor(deps, ctx, reqs.map((r) => r.namespace), options);
  if (!hasPermission(ctx.permissions, "ratelimit.*.limit")) {
    for (const ns of namespaces) requirePermission(ctx, ...limitPermission(ns));
  }
  const now = options.now ?? Date.now();
  const checks = reqs.map((req, i) => checkFor(namespaces[i]!, req, now));
  const order = checks.map((_, i) => i).sort((a, b) => compareWindows(checks[a]!.window, checks[b]!.window));
  const outcomes: RatelimitOutcome[] = new Array(checks.length);
  if (checks.length === 1) {
    outcomes[0] = await consumeRatelimit(deps.db, checks[0]!.window);
  } else {
    await deps.db
      .transaction(async (tx) => {
        for (const i of order) outcomes[i] = await consumeRatelimit(tx, checks[i]!.window);
        if (outcomes.some((o) => !o.passed)) throw ROLLBACK;
      })
      .catch((error) => {
        if (error !== ROLLBACK) throw error;
      });
  }
  const passed = outcomes.every((o) => o.passed);
  const limits = checks.map((check, i) => {
    const o = outcomes[i]!;
    // Rolled back: what a fitting check took is still there.
    const remaining = !passed && o.passed ? Math.min(o.remaining + check.window.cost, check.window.limit) : o.remaining;
    return {
      namespace: reqs[i]!.namespace,
      identifier: reqs[i]!.identifier,
      ...o,
      remaining,
      limit: check.window.limit,
      ...(check.overrideId !== undefined && { overrideId: check.overrideId }),
    };
  });
  return { passed, limits };
}

const ROLLBACK = Symbol("roll back the batch");

function compareWindows(a: { subjectId: string; name: string }, b: { subjectId: string; name: string }): number {
  if (a.subjectId !== b.subjectId) return a.subjectId < b.subjectId ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The window a request counts in: the namespace's, one per identifier and duration (as
 * Unkey's: the same identifier with another duration is another limit, so an override that
 * changes the duration starts a window of its own instead of meeting one it cannot compare).
 * An override replaces the request's limit and duration.
 */
function checkFor(ns: Namespace, req: LimitRequest, now: number) {
  const override = matchOverride(ns, req.identifier);
  const limit = override?.limit ?? req.limit;
  const duration = override?.duration ?? req.duration;
  return {
    overrideId: override?.id,
    window: { subjectId: ns.id, name: `${duration}:${req.identifier}`, limit, duration, cost: req.cost, now },
  };
}

/**
 * Each named namespace (a name or an id), from the cache or the database; names that exist
 * nowhere are created in one statement, which needs `ratelimit.*.create_namespace`. An id
 * (`rlns_…`) that is not one of the workspace's namespaces is NOT_FOUND, never a new
 * namespace of that name: another workspace's namespace id answers exactly like a missing one.
 */
async function namespacesFor(deps: LimitDeps, ctx: RootKeyContext, refs: string[], options: LimitOptions): Promise<Namespace[]> {
  const found = new Map<string, Namespace | null>();
  for (const ref of new Set(refs)) found.set(ref, await findNamespace(deps, ctx.workspaceId, ref));
  const missing = [...found].filter(([, ns]) => ns === null).map(([ref]) => ref);
  if (missing.length > 0) {
    if (missing.some((ref) => ref.startsWith(NAMESPACE_ID_PREFIX))) throw namespaceNotFound();
    if (!hasPermission(ctx.permissions, CREATE_NAMESPACE)) {
      if (options.missingNamespace === "NOT_FOUND") throw namespaceNotFound();
      requirePermission(ctx, CREATE_NAMESPACE);
    }
    await ensureNamespaces(deps.db, ctx.workspaceId, missing);
    deps.namespaceCache?.forgetWorkspace(ctx.workspaceId);
    for (const ref of missing) {
      const ns = await findNamespace(deps, ctx.workspaceId, ref);
      if (!ns) throw new KeyholdError("INTERNAL_SERVER_ERROR", "A namespace just created could not be read.");
      found.set(ref, ns);
    }
  }
  return refs.map((ref) => found.get(ref)!);
}

function findNamespace(deps: LimitDeps, workspaceId: string, nameOrId: string): Promise<Namespace | null> {
  const load = () => loadNamespace(deps.db, workspaceId, { nameOrId });
  return deps.namespaceCache ? deps.namespaceCache.find(workspaceId, nameOrId, load) : load();
}
