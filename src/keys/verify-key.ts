import { and, eq, fillPlaceholders, getTableColumns, isNull, sql } from "drizzle-orm";
import { apiPermission, hasPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import { sha256Hex } from "../crypto/hash.ts";
import { KeyholdError } from "../errors.ts";
import type { Database } from "../db/client.ts";
import { preparedPerHandle } from "../db/prepared.ts";
import { apis, identities, keys, workspaces } from "../db/schema.ts";
import { verifyNameColumns } from "./key-name-columns.ts";
import { DEFAULT_RATELIMIT, type KeyRatelimit } from "./key-ratelimits.ts";
import { linkedIdentityColumns, liveIdentityOfKey } from "./key-identity.ts";
import { parseKey } from "./key-format.ts";
import type { LastUsedNotes } from "./last-used.ts";
import type { VerificationNotes } from "../analytics/recorder.ts";
import { creditBalance, spendCredits } from "./credits.ts";
import { type RatelimitOutcome, consumeRatelimit } from "../ratelimits/windows.ts";
import { type PermissionQuery, evaluatePermissionQuery } from "./permission-query.ts";
import type { KeyRow } from "./key-view.ts";
import type { VerifyCache } from "./verify-cache.ts";
import type { ImportedPrefixes } from "./imported-prefixes.ts";

export type VerifyCode =
  | "VALID"
  | "NOT_FOUND"
  | "FORBIDDEN"
  | "USAGE_EXCEEDED"
  | "RATE_LIMITED"
  | "UNAUTHORIZED"
  | "DISABLED"
  | "INSUFFICIENT_PERMISSIONS"
  | "EXPIRED";

export interface VerifyKeyRequest {
  key: string;
  apiId?: string;
  authorization?: { permissions?: PermissionQuery | null };
  remaining?: { cost?: number };
  ratelimit?: { cost?: number };
  ratelimits?: { name: string; cost?: number; limit?: number; duration?: number }[];
}

export interface VerifyKeyResult {
  valid: boolean;
  code: VerifyCode;
  keyId?: string;
  name?: string;
  /** The identity's externalId (v1's name for it). */
  ownerId?: string;
  /** The key's live identity: its meta and the rate limits its keys share. */
  identity?: { id: string; externalId: string; meta: Record<string, unknown> | null; ratelimits: KeyRatelimit[] };
  meta?: Record<string, unknown>;
  expires?: number;
  remaining?: number;
  /** v1's one limit: "default" when it was checked, or the first that refused. */
  ratelimit?: { limit: number; remaining: number; reset: number };
  /** Every limit this verify checked (v2), whether it passed or not. */
  ratelimits?: RatelimitCheck[];
  enabled?: boolean;
  permissions?: string[];
  roles?: string[];
  environment?: string;
}

/** One rate limit's verdict, as v2 reports it. */
export interface RatelimitCheck {
  /** The key's stored id of the limit; "" for an inline one (limit and duration in the request), as Unkey sends it. */
  id: string;
  name: string;
  limit: number;
  duration: number;
  /** When the window ends (Unix ms). */
  reset: number;
  /** Left in the window after this verify; what a refusal gave back counts as left. */
  remaining: number;
  exceeded: boolean;
  autoApply: boolean;
}

/**
 * Where v1 and v2 answer differently. The rules live here, with the checks they change;
 * each route only names its version's set.
 */
export interface VerifyRules {
  /**
   * A root key without verify_key for the key's API: v1 answers 403 INSUFFICIENT_PERMISSIONS;
   * v2 answers NOT_FOUND like a missing key, since a 403 would tell that the key exists
   * (Unkey's v2 handler, PR #3538).
   */
  missingPermission: "error" | "notFound";
  /** A requested rate limit the key lacks, sent without limit and duration: v1 ignores it; v2 refuses with 412 (Unkey's PreconditionFailed). */
  unknownRatelimit: "ignore" | "refuse";
  /** Credits reported when a spend is refused: v1 says 0; v2 the balance there is (Unkey's usage limiter answers it). */
  refusedCredits: "zero" | "balance";
}

export const V1_VERIFY: VerifyRules = { missingPermission: "error", unknownRatelimit: "ignore", refusedCredits: "zero" };
export const V2_VERIFY: VerifyRules = { missingPermission: "notFound", unknownRatelimit: "refuse", refusedCredits: "balance" };

/**
 * Everything verify needs about a key, read in one indexed query by hash, its live identity
 * joined in (so a cached record carries it, and the identity's changes announce its keys:
 * drizzle/0006). Not the ciphertext
 * of a recoverable key: verify never needs it, and a record kept in the verify cache must not
 * outlive a purge of it (apis.updateApi `recovery.purge`).
 */
export interface VerifiableKey extends Omit<KeyRow, "encrypted" | "encryptionKeyId"> {
  permissions: string[];
  roles: string[];
}

/**
 * The key with this hash; with `workspaceId`, only if it belongs to that workspace, so that
 * another workspace's key is "no row" in the database exactly like a missing one: nothing to
 * read, join, aggregate or decode that a miss doesn't (test/adversarial/08-timing.test.ts).
 */
export async function findVerifiableKey(db: Database, hash: string, workspaceId?: string): Promise<VerifiableKey | null> {
  const [row] = workspaceId === undefined ? await findByHash(db).execute({ hash }) : await findByHashInWorkspace(db).execute({ hash, workspaceId });
  return (row as VerifiableKey | undefined) ?? null;
}

/** Prepared once per handle (see prepared.ts). The scoped one is the hot path of every verify that sends a root key. */
const findByHash = preparedPerHandle((db) => buildFindByHash(db, false));

/** The unscoped lookup as SQL text and its parameters for a hash, for the benchmark's database ceiling, which must run exactly what verify runs. */
export function verifyLookupQuery(db: Database): { sql: string; params: (hash: string) => unknown[] } {
  const query = findByHash(db).getQuery();
  return { sql: query.sql, params: (hash) => fillPlaceholders(query.params, { hash }) };
}
const findByHashInWorkspace = preparedPerHandle((db) => buildFindByHash(db, true));

/**
 * One indexed lookup by hash (and workspace). A miss is no row, whichever kind: with the
 * workspace in the WHERE clause, another workspace's key is as absent to the database as a
 * hash nobody holds (test/adversarial/08-timing.test.ts). A hit is told apart from a miss
 * by the answer itself, so it need not cost the same.
 */
function buildFindByHash(db: Database, scoped: boolean) {
  const { encrypted: _encrypted, encryptionKeyId: _encryptionKeyId, ...columns } = getTableColumns(keys);
  return db
    .select({ ...columns, ...linkedIdentityColumns(), ...verifyNameColumns() })
    .from(keys)
    .innerJoin(apis, eq(apis.id, keys.apiId))
    .innerJoin(workspaces, eq(workspaces.id, keys.workspaceId))
    .leftJoin(identities, liveIdentityOfKey)
    .where(
      and(
        eq(keys.hash, sql.placeholder("hash")),
        scoped ? eq(keys.workspaceId, sql.placeholder("workspaceId")) : undefined,
        isNull(keys.deletedAt),
        isNull(apis.deletedAt),
        isNull(workspaces.deletedAt),
      ),
    )
    .limit(1)
    .prepare(scoped ? "keyhold_find_verifiable_key_in_workspace" : "keyhold_find_verifiable_key");
}

/**
 * The key a verify sees, when the cache had nothing for its hash: scoped to the root key's
 * workspace when one was sent. The cache holds unscoped records by hash (what an unscoped
 * verify needs), so a cached key is checked against the workspace in memory (verifyKey); a
 * scoped miss is not cached at all, since under the plain hash it would answer NOT_FOUND to
 * an unscoped verify of a key that exists. A scoped hit is the same record an unscoped
 * lookup reads: fine to cache under the hash.
 */
async function lookUp(db: Database, hash: string, workspaceId: string | undefined, cache: VerifyCache | null | undefined): Promise<VerifiableKey | null> {
  if (!cache) return findVerifiableKey(db, hash, workspaceId);
  if (workspaceId === undefined) return cache.find(hash, (h) => findVerifiableKey(db, h));
  return inWorkspace(await cache.find(hash, (h) => findVerifiableKey(db, h, workspaceId), { keepMiss: false }), workspaceId);
}

/** A cached record as a verify scoped to `workspaceId` (if any) sees it: another workspace's key is no key. */
function inWorkspace(key: VerifiableKey | null, workspaceId: string | undefined): VerifiableKey | null {
  return key && (workspaceId === undefined || key.workspaceId === workspaceId) ? key : null;
}

export interface VerifyOptions {
  /** The caller's root key, when it sent a valid one: scopes the lookup to its workspace. */
  rootKey?: RootKeyContext | null;
  /** Where key records come from; the verify cache plugs in here. */
  cache?: VerifyCache | null;
  /** Where imported keys (no checksum) may live; unset: a key failing the checksum is never looked up. */
  imports?: ImportedPrefixes | null;
  /** Told of every VALID verify, for `last_used_at` (written in batches, never here). */
  lastUsed?: LastUsedNotes | null;
  /** Told of every verdict about a key (not NOT_FOUND), for the analytics counts (written in batches, never here). */
  analytics?: VerificationNotes | null;
  /** The request's tags, recorded with the counts. */
  tags?: readonly string[];
  /** v1's unless given. */
  rules?: VerifyRules;
  now?: number;
}

const notFound = (): VerifyKeyResult => ({ valid: false, code: "NOT_FOUND" });

/**
 * Checks in a fixed order, cheapest and least revealing first: format, existence (and
 * workspace), API, enabled, expiry, permissions; only then the limits, which write.
 * A request refused before the limits consumes nothing.
 */
export async function verifyKey(db: Database, request: VerifyKeyRequest, options: VerifyOptions = {}): Promise<VerifyKeyResult> {
  const now = options.now ?? Date.now();
  const rules = options.rules ?? V1_VERIFY;
  const rootKey = options.rootKey;
  const workspaceId = rootKey?.workspaceId;
  const hash = sha256Hex(request.key);
  // The hot path: a cache hit costs no closure and no await, and no checksum either, since a
  // cached record is a stored key, checked when it was issued or imported. A cached miss is a
  // miss in every workspace.
  const hit = options.cache?.peek(hash);
  // Otherwise, without Keyhold's checksum a key is looked up only where imported keys may hold it.
  if (hit === undefined && !parseKey(request.key) && !options.imports?.mayHold(request.key, workspaceId)) return notFound();
  const key = hit === undefined ? await lookUp(db, hash, workspaceId, options.cache) : inWorkspace(hit, workspaceId);
  if (!key) return notFound();
  if (rootKey) {
    const needed = apiPermission(key.apiId, "verify_key");
    if (!hasPermission(rootKey.permissions, needed)) {
      if (rules.missingPermission === "notFound") return notFound();
      requirePermission(rootKey, needed);
    }
  }
  const result = await judge(db, key, request, rules, now);
  if (result.valid) options.lastUsed?.note(key.id, now);
  // Every verdict about a key passes here (a thrown refusal, e.g. v2's 412, is no verdict).
  options.analytics?.record(key, result.code, options.tags, now);
  return result;
}

/** The verdict on a key the caller may see: API, enabled, expiry, permissions, then the limits. */
async function judge(db: Database, key: VerifiableKey, request: VerifyKeyRequest, rules: VerifyRules, now: number): Promise<VerifyKeyResult> {
  if (request.apiId !== undefined && request.apiId !== key.apiId) return { valid: false, code: "FORBIDDEN" };
  const base = describe(key);
  if (!key.enabled) return { ...base, valid: false, code: "DISABLED" };
  if (key.expires !== null && key.expires <= now) return { ...base, valid: false, code: "EXPIRED" };
  const query = request.authorization?.permissions;
  if (query != null && !evaluatePermissionQuery(query, new Set(key.permissions))) {
    return { ...base, valid: false, code: "INSUFFICIENT_PERMISSIONS" };
  }
  return applyLimits(db, key, request, rules, base, now);
}

function describe(key: VerifiableKey): VerifyKeyResult & { valid: true } {
  return {
    valid: true,
    code: "VALID",
    keyId: key.id,
    ...(key.name !== null && { name: key.name }),
    ...(key.identity && { ownerId: key.identity.externalId, identity: withUnshadowedLimits(key.identity, key.ratelimits) }),
    ...(key.meta !== null && { meta: key.meta }),
    ...(key.expires !== null && { expires: key.expires }),
    enabled: key.enabled,
    permissions: key.permissions,
    roles: key.roles,
    ...(key.environment !== null && { environment: key.environment }),
  };
}

/** The identity as verify reports it: its limits less those a key's limit of the same name shadows (as Unkey reports them). */
function withUnshadowedLimits(identity: NonNullable<VerifiableKey["identity"]>, own: readonly KeyRatelimit[]): NonNullable<VerifyKeyResult["identity"]> {
  if (identity.ratelimits.length === 0 || own.length === 0) return identity;
  return { ...identity, ratelimits: identity.ratelimits.filter((r) => !own.some((k) => k.name === r.name)) };
}

interface LimitSpec {
  /** Whose window it counts: the key's own, or its identity's (shared by all its keys). */
  subjectId: string;
  id: string;
  name: string;
  limit: number;
  duration: number;
  cost: number;
  autoApply: boolean;
}

/**
 * The rate limits this request is subject to: the auto-applied ones of the key and of its
 * identity (cost 1), plus those the request names: inline with its own `limit` and
 * `duration` (Unkey's override, counted on the key), or by a name the key or its identity has
 * (that limit at the request's cost). A key's limit shadows its identity's of the same name,
 * as in Unkey. A name neither has, without both, is ignored (v1) or refused (v2). Sorted by
 * subject, then name: every verify takes the window rows' locks in one global order, so
 * verifies of several keys of one identity, naming limits in different orders, cannot deadlock.
 */
function ratelimitsFor(key: VerifiableKey, request: VerifyKeyRequest, rules: VerifyRules): LimitSpec[] {
  const identity = key.identity;
  if (key.ratelimits.length === 0 && !identity?.ratelimits.length && !request.ratelimits?.length) return []; // the common case, at no cost
  const specs = new Map<string, LimitSpec>();
  const legacyCost = request.ratelimit?.cost;
  // By name, the key's limits over its identity's (Unkey's ratelimitConfigs).
  const configured = (name: string): { subjectId: string; limit: KeyRatelimit } | undefined => {
    const own = key.ratelimits.find((k) => k.name === name);
    if (own) return { subjectId: key.id, limit: own };
    const shared = identity?.ratelimits.find((k) => k.name === name);
    return shared && { subjectId: identity!.id, limit: shared };
  };
  const autoApplied = identity && identity.ratelimits.length > 0 ? [...key.ratelimits, ...identity.ratelimits] : key.ratelimits;
  for (const r of autoApplied) {
    if (!r.autoApply || specs.has(r.name)) continue;
    const found = configured(r.name)!;
    if (found.limit !== r) continue; // shadowed by the key's limit of that name
    const cost = r.name === DEFAULT_RATELIMIT && legacyCost !== undefined ? legacyCost : 1;
    specs.set(r.name, { subjectId: found.subjectId, id: r.id, name: r.name, limit: r.limit, duration: r.duration, cost, autoApply: true });
  }
  for (const r of request.ratelimits ?? []) {
    const found = configured(r.name);
    const cost = r.cost ?? 1;
    if (r.limit !== undefined && r.duration !== undefined) {
      specs.set(r.name, { subjectId: key.id, id: "", name: r.name, limit: r.limit, duration: r.duration, cost, autoApply: false });
    } else if (found) {
      const { subjectId, limit: own } = found;
      specs.set(r.name, { subjectId, id: own.id, name: r.name, limit: own.limit, duration: own.duration, cost, autoApply: own.autoApply });
    } else if (rules.unknownRatelimit === "refuse") {
      throw new KeyholdError(
        "PRECONDITION_FAILED",
        `The rate limit "${r.name}" was requested, but neither the key ${key.id} nor its identity has a rate limit of that name; send limit and duration with it to apply it inline.`,
      );
    }
  }
  return [...specs.values()].sort((a, b) => compare(a.subjectId, b.subjectId) || compare(a.name, b.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class Refused extends Error {
  constructor(readonly result: VerifyKeyResult) {
    super("refused");
  }
}

interface Checked {
  spec: LimitSpec;
  outcome: RatelimitOutcome;
}

/**
 * Rate limits, then credits. Every limit is checked, so that each one's verdict can be
 * reported (v2), but a refusal by any of them, or by the credits, rolls all of them back:
 * a refused request leaves no trace (test/adversarial/02), and what it took is reported as
 * given back. Each check is one atomic statement, so concurrent verifies stay exact.
 */
async function applyLimits(
  db: Database,
  key: VerifiableKey,
  request: VerifyKeyRequest,
  rules: VerifyRules,
  base: VerifyKeyResult,
  now: number,
): Promise<VerifyKeyResult> {
  const limits = ratelimitsFor(key, request, rules);
  const metered = key.remaining !== null;
  if (limits.length === 0 && !metered) return base; // nothing to write: the common fast path

  // One statement is atomic on its own; only several need a transaction, to roll back what
  // an earlier limit took when a later one refuses. Saves BEGIN and COMMIT round trips.
  const single = limits.length + (metered ? 1 : 0) === 1;
  const atomically = <T>(body: (tx: Database) => Promise<T>): Promise<T> => (single ? body(db) : db.transaction(body));
  try {
    return await atomically(async (tx) => {
      const checked: Checked[] = [];
      for (const spec of limits) checked.push({ spec, outcome: await consumeRatelimit(tx, { ...spec, now }) });
      if (checked.some((c) => !c.outcome.passed)) throw new Refused({ ...base, ...reportLimits(checked, true), valid: false, code: "RATE_LIMITED" });
      if (!metered) return { ...base, ...reportLimits(checked, false) };
      const remaining = await spendCredits(tx, key, request.remaining?.cost ?? 1, now);
      if (remaining === null) {
        // Refusing here rolls back the rate-limit slots taken above: a refusal leaves no trace, and says so.
        const credits = rules.refusedCredits === "zero" ? 0 : await creditBalance(tx, key, now);
        throw new Refused({ ...base, ...reportLimits(checked, true), valid: false, code: "USAGE_EXCEEDED", remaining: credits });
      }
      return { ...base, ...reportLimits(checked, false), remaining };
    });
  } catch (error) {
    if (error instanceof Refused) return error.result;
    throw error;
  }
}

/**
 * The checked limits as reported: all of them (v2), and v1's one (the first refusal, else
 * "default"). `rolledBack`: the request is refused, so the slots that passing limits took
 * are given back.
 */
function reportLimits(checked: Checked[], rolledBack: boolean): Pick<VerifyKeyResult, "ratelimit" | "ratelimits"> {
  if (checked.length === 0) return {};
  const ratelimits = checked.map(({ spec, outcome }): RatelimitCheck => ({
    id: spec.id,
    name: spec.name,
    limit: outcome.limit,
    duration: spec.duration,
    reset: outcome.reset,
    remaining: outcome.passed && rolledBack ? outcome.remaining + spec.cost : outcome.remaining,
    exceeded: !outcome.passed,
    autoApply: spec.autoApply,
  }));
  const shown = ratelimits.find((r) => r.exceeded) ?? ratelimits.find((r) => r.name === DEFAULT_RATELIMIT);
  return { ratelimits, ...(shown && { ratelimit: { limit: shown.limit, remaining: shown.remaining, reset: shown.reset } }) };
}
