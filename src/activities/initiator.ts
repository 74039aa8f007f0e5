import { and, eq, isNull } from "drizzle-orm";
import type { RootKeyContext } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { rootKeys, workspaces } from "../db/schema.ts";

/**
 * The initiator's root key as it is now, for running its held activity: its current
 * permissions apply, and a root key deleted or expired meanwhile runs nothing (null).
 */
export async function initiatorContext(db: Database, workspaceId: string, rootKeyId: string, now = Date.now()): Promise<RootKeyContext | null> {
  const [row] = await db
    .select({ id: rootKeys.id, workspaceId: rootKeys.workspaceId, userId: rootKeys.userId, permissions: rootKeys.permissions, expires: rootKeys.expires })
    .from(rootKeys)
    .innerJoin(workspaces, eq(workspaces.id, rootKeys.workspaceId))
    .where(and(eq(rootKeys.id, rootKeyId), eq(rootKeys.workspaceId, workspaceId), isNull(rootKeys.deletedAt), isNull(workspaces.deletedAt)))
    .limit(1);
  if (!row || (row.expires !== null && row.expires <= now)) return null;
  return { rootKeyId: row.id, workspaceId: row.workspaceId, userId: row.userId, permissions: row.permissions, expires: row.expires };
}
