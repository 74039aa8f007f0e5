import { and, eq, getTableColumns, isNull, sql } from "drizzle-orm";
import { apiPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import { sha256Hex } from "../crypto/hash.ts";
import type { Database } from "../db/client.ts";
import { preparedPerHandle } from "../db/prepared.ts";
import { apis, keys, workspaces } from "../db/schema.ts";
import { keyNameColumns } from "./key-name-columns.ts";
import { DEFAULT_RATELIMIT } from "./key-ratelimits.ts";
import { parseKey } from "./key-format.ts";
import { type RatelimitOutcome, consumeRatelimit, spendCredits } from "./limits.ts";
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
  ownerId?: string;
  meta?: Record<string, unknown>;
  expires?: number;
  remaining?: number;
  ratelimit?: { limit: number; remaining: number; reset: number };
  enabled?: boolean;
  permissions?: string[];
  roles?: string[];
  environment?: string;
}

/**
 * Everything verify needs about a key, read in one indexed query by hash. Not the ciphertext
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
    .select({ ...columns, ...keyNameColumns() })
    .from(keys)
    .innerJoin(apis, eq(apis.id, keys.apiId))
    .innerJoin(workspaces, eq(workspaces.id, keys.workspaceId))
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
 * The key a verify sees: scoped to the root key's workspace when one was sent. The cache
 * holds unscoped records by hash (what an unscoped verify needs), so a cached key is
 * checked against the workspace in memory; a scoped miss is not cached at all, since under
 * the plain hash it would answer NOT_FOUND to an unscoped verify of a key that exists.
 * A scoped hit is the same record an unscoped lookup reads: fine to cache under the hash.
 */
async function lookUp(db: Database, hash: string, workspaceId: string | undefined, cache: VerifyCache | null | undefined): Promise<VerifiableKey | null> {
  if (!cache) return findVerifiableKey(db, hash, workspaceId);
  if (workspaceId === undefined) return cache.find(hash, (h) => findVerifiableKey(db, h));
  const key = await cache.find(hash, (h) => findVerifiableKey(db, h, workspaceId), { keepMiss: false });
  return key && key.workspaceId === workspaceId ? key : null;
}

export interface VerifyOptions {
  /** The caller's root key, when it sent a valid one: scopes the lookup to its workspace. */
  rootKey?: RootKeyContext | null;
  /** Where key records come from; the verify cache plugs in here. */
  cache?: VerifyCache | null;
  /** Where imported keys (no checksum) may live; unset: a key failing the checksum is never looked up. */
  imports?: ImportedPrefixes | null;
  now?: number;
}

/**
 * Checks in a fixed order, cheapest and least revealing first: format, existence (and
 * workspace), API, enabled, expiry, permissions; only then the limits, which write.
 * A request refused before the limits consumes nothing.
 */
export async function verifyKey(db: Database, request: VerifyKeyRequest, options: VerifyOptions = {}): Promise<VerifyKeyResult> {
  const now = options.now ?? Date.now();
  // Without Keyhold's checksum a key is looked up only where imported keys may hold it.
  if (!parseKey(request.key) && !options.imports?.mayHold(request.key, options.rootKey?.workspaceId)) return { valid: false, code: "NOT_FOUND" };
  const hash = sha256Hex(request.key);
  const rootKey = options.rootKey;
  const key = await lookUp(db, hash, rootKey?.workspaceId, options.cache);
  if (!key) return { valid: false, code: "NOT_FOUND" };
  if (rootKey) requirePermission(rootKey, apiPermission(key.apiId, "verify_key"));
  if (request.apiId !== undefined && request.apiId !== key.apiId) return { valid: false, code: "FORBIDDEN" };

  const base = describe(key);
  if (!key.enabled) return { ...base, valid: false, code: "DISABLED" };
  if (key.expires !== null && key.expires <= now) return { ...base, valid: false, code: "EXPIRED" };
  const query = request.authorization?.permissions;
  if (query != null && !evaluatePermissionQuery(query, new Set(key.permissions))) {
    return { ...base, valid: false, code: "INSUFFICIENT_PERMISSIONS" };
  }
  return applyLimits(db, key, request, base, now);
}

function describe(key: VerifiableKey): VerifyKeyResult & { valid: true } {
  return {
    valid: true,
    code: "VALID",
    keyId: key.id,
    ...(key.name !== null && { name: key.name }),
    ...(key.ownerId !== null && { ownerId: key.ownerId }),
    ...(key.meta !== null && { meta: key.meta }),
    ...(key.expires !== null && { expires: key.expires }),
    enabled: key.enabled,
    permissions: key.permissions,
    roles: key.roles,
    ...(key.environment !== null && { environment: key.environment }),
  };
}

interface LimitSpec {
  name: string;
  limit: number;
  duration: number;
  cost: number;
}

/**
 * The rate limits this request is subject to: the key's auto-applied ones, plus those the
 * request names: inline with its own `limit` and `duration` (Unkey's override), or by a
 * name the key has (the key's limit at the request's cost). A name the key lacks, without
 * both, is ignored here (v1); v2 refuses it before (unknownRatelimit).
 */
function ratelimitsFor(key: VerifiableKey, request: VerifyKeyRequest): LimitSpec[] {
  const specs = new Map<string, LimitSpec>();
  const legacyCost = request.ratelimit?.cost;
  for (const r of key.ratelimits) {
    if (!r.autoApply) continue;
    const cost = r.name === DEFAULT_RATELIMIT && legacyCost !== undefined ? legacyCost : 1;
    specs.set(r.name, { name: r.name, limit: r.limit, duration: r.duration, cost });
  }
  for (const r of request.ratelimits ?? []) {
    const own = key.ratelimits.find((k) => k.name === r.name);
    if (r.limit !== undefined && r.duration !== undefined) {
      specs.set(r.name, { name: r.name, limit: r.limit, duration: r.duration, cost: r.cost ?? 1 });
    } else if (own) specs.set(r.name, { name: r.name, limit: own.limit, duration: own.duration, cost: r.cost ?? 1 });
  }
  return [...specs.values()];
}

class Refused extends Error {
  constructor(readonly result: VerifyKeyResult) {
    super("refused");
  }
}

async function applyLimits(
  db: Database,
  key: VerifiableKey,
  request: VerifyKeyRequest,
  base: VerifyKeyResult,
  now: number,
): Promise<VerifyKeyResult> {
  const limits = ratelimitsFor(key, request);
  const metered = key.remaining !== null;
  if (limits.length === 0 && !metered) return base; // nothing to write: the common fast path

  // One statement is atomic on its own; only several need a transaction, to roll back what
  // an earlier limit took when a later one refuses. Saves BEGIN and COMMIT round trips.
  const single = limits.length + (metered ? 1 : 0) === 1;
  const atomically = <T>(body: (tx: Database) => Promise<T>): Promise<T> => (single ? body(db) : db.transaction(body));
  try {
    return await atomically(async (tx) => {
      let shown: RatelimitOutcome | undefined;
      let shownCost = 0;
      for (const spec of limits) {
        const outcome = await consumeRatelimit(tx, { keyId: key.id, ...spec, now });
        if (spec.name === "default") [shown, shownCost] = [outcome, spec.cost];
        if (!outcome.passed) throw new Refused({ ...base, valid: false, code: "RATE_LIMITED", ratelimit: pick(outcome) });
      }
      const ratelimit = shown && { ratelimit: pick(shown) };
      if (!metered) return { ...base, ...ratelimit };
      const remaining = await spendCredits(tx, key, request.remaining?.cost ?? 1, now);
      // Refusing here rolls back the rate-limit slots taken above: a refusal leaves no trace, and says so.
      const givenBack = shown && { ratelimit: { ...pick(shown), remaining: shown.remaining + shownCost } };
      if (remaining === null) throw new Refused({ ...base, ...givenBack, valid: false, code: "USAGE_EXCEEDED", remaining: 0 });
      return { ...base, ...ratelimit, remaining };
    });
  } catch (error) {
    if (error instanceof Refused) return error.result;
    throw error;
  }
}

function pick(o: RatelimitOutcome): { limit: number; remaining: number; reset: number } {
  return { limit: o.limit, remaining: o.remaining, reset: o.reset };
}
