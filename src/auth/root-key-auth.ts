import { and, eq, isNull, sql } from "drizzle-orm";
import { sha256Hex } from "../crypto/hash.ts";
import type { Database } from "../db/client.ts";
import { preparedPerHandle } from "../db/prepared.ts";
import { rootKeys, workspaces } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { ROOT_KEY_PREFIX, parseKey } from "../keys/key-format.ts";
import { hasPermission } from "./permissions.ts";
import type { CachedRootKey, RootKeyCache } from "./root-key-cache.ts";

/** Who is calling: resolved from the bearer root key on every admin request. */
export interface RootKeyContext {
  rootKeyId: string;
  workspaceId: string;
  /** The person the root key belongs to: quorum and the audit trail count users, not keys. */
  userId: string;
  permissions: readonly string[];
  /** When the calling root key stops working; keys it creates can't outlive it. */
  expires: number | null;
}

async function loadRootKey(db: Database, token: string, hash: string, cache: RootKeyCache | null | undefined): Promise<CachedRootKey | null> {
  const load = (h: string) => (parseKey(token)?.prefix === ROOT_KEY_PREFIX ? findLiveRootKey(db, h) : Promise.resolve(null));
  return cache ? cache.find(hash, load) : load(hash);
}

/** One message for every kind of bad root key, so the answer reveals nothing about which. */
const unauthorized = () => new KeyholdError("UNAUTHORIZED", "The root key is missing, invalid, expired or revoked.");

export interface AuthenticateOptions {
  /** Live root keys by hash; null or unset: every call reads the database. */
  cache?: RootKeyCache | null;
  now?: number;
}

export async function authenticateRootKey(db: Database, token: string | undefined, options: AuthenticateOptions = {}): Promise<RootKeyContext> {
  if (!token || !token.startsWith(`${ROOT_KEY_PREFIX}_`)) throw unauthorized();
  const hash = sha256Hex(token);
  // A cached record is a live root key by that very hash: its checksum held when it was loaded
  // (the hot path of every v2 verify: no closure, no await). Only what would reach the
  // database is checked first, so made-up tokens cost no lookup.
  const cached = options.cache?.peek(hash);
  const row = cached !== undefined ? cached : await loadRootKey(db, token, hash, options.cache);
  // Expiry against the clock on every use: a cached root key is never trusted to still be valid.
  if (!row || (row.expires !== null && row.expires <= (options.now ?? Date.now()))) throw unauthorized();
  return { rootKeyId: row.id, workspaceId: row.workspaceId, userId: row.userId, permissions: row.permissions, expires: row.expires };
}

/** The root key with this hash, unless it or its workspace is deleted. */
export async function findLiveRootKey(db: Database, hash: string): Promise<CachedRootKey | null> {
  const [row] = await findByHash(db).execute({ hash });
  return row ?? null;
}

/** Prepared: every admin call (and, with the v2 API, every verify) authenticates here on a cache miss. */
const findByHash = preparedPerHandle((db) =>
  db
    .select({ id: rootKeys.id, workspaceId: rootKeys.workspaceId, userId: rootKeys.userId, permissions: rootKeys.permissions, expires: rootKeys.expires })
    .from(rootKeys)
    .innerJoin(workspaces, eq(workspaces.id, rootKeys.workspaceId))
    .where(and(eq(rootKeys.hash, sql.placeholder("hash")), isNull(rootKeys.deletedAt), isNull(workspaces.deletedAt)))
    .limit(1)
    .prepare("keyhold_find_root_key"),
);

/** Passes if the root key holds any of `anyOf`; otherwise names the first (most specific) one. */
export function requirePermission(ctx: RootKeyContext, ...anyOf: string[]): void {
  if (anyOf.some((p) => hasPermission(ctx.permissions, p))) return;
  throw new KeyholdError("INSUFFICIENT_PERMISSIONS", `The root key lacks the permission ${anyOf[0]}.`);
}
