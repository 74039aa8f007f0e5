import { and, eq, isNull } from "drizzle-orm";
import { sha256Hex } from "../crypto/hash.ts";
import type { Database } from "../db/client.ts";
import { rootKeys, workspaces } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { ROOT_KEY_PREFIX, parseKey } from "../keys/key-format.ts";
import { hasPermission } from "./permissions.ts";

/** Who is calling: resolved from the bearer root key on every admin request. */
export interface RootKeyContext {
  rootKeyId: string;
  workspaceId: string;
  permissions: readonly string[];
  /** When the calling root key stops working; keys it creates can't outlive it. */
  expires: number | null;
}

/** One message for every kind of bad root key, so the answer reveals nothing about which. */
const unauthorized = () => new KeyholdError("UNAUTHORIZED", "The root key is missing, invalid, expired or revoked.");

export async function authenticateRootKey(db: Database, token: string | undefined, now = Date.now()): Promise<RootKeyContext> {
  if (!token) throw unauthorized();
  const parsed = parseKey(token);
  if (!parsed || parsed.prefix !== ROOT_KEY_PREFIX) throw unauthorized();
  const [row] = await db
    .select({ id: rootKeys.id, workspaceId: rootKeys.workspaceId, permissions: rootKeys.permissions, expires: rootKeys.expires })
    .from(rootKeys)
    .innerJoin(workspaces, eq(workspaces.id, rootKeys.workspaceId))
    .where(and(eq(rootKeys.hash, sha256Hex(token)), isNull(rootKeys.deletedAt), isNull(workspaces.deletedAt)))
    .limit(1);
  if (!row || (row.expires !== null && row.expires <= now)) throw unauthorized();
  return { rootKeyId: row.id, workspaceId: row.workspaceId, permissions: row.permissions, expires: row.expires };
}

/** Passes if the root key holds any of `anyOf`; otherwise names the first (most specific) one. */
export function requirePermission(ctx: RootKeyContext, ...anyOf: string[]): void {
  if (anyOf.some((p) => hasPermission(ctx.permissions, p))) return;
  throw new KeyholdError("INSUFFICIENT_PERMISSIONS", `The root key lacks the permission ${anyOf[0]}.`);
}
