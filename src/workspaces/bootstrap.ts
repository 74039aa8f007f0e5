import { isNull, sql } from "drizzle-orm";
import { insertRootKey } from "../auth/root-keys.ts";
import type { Database } from "../db/client.ts";
import { workspaces } from "../db/schema.ts";
import { newId } from "../ids.ts";
import { insertUser } from "../users/users.ts";

export interface Bootstrapped {
  workspaceId: string;
  /** The workspace's first user, "Owner", who holds the root key. */
  userId: string;
  rootKeyId: string;
  rootKey: string;
}

/** A new workspace, its first user and that user's first root key, holding `*`. The key is returned once. */
export async function bootstrapWorkspace(db: Database, name = "default"): Promise<Bootstrapped> {
  return db.transaction(async (tx) => {
    const workspaceId = newId("ws");
    await tx.insert(workspaces).values({ id: workspaceId, name, createdAt: Date.now() });
    const user = await insertUser(tx, workspaceId, { name: "Owner" });
    const { keyId, key } = await insertRootKey(tx, { workspaceId, userId: user.id, name: "bootstrap", permissions: ["*"] });
    return { workspaceId, userId: user.id, rootKeyId: keyId, rootKey: key };
  });
}

export async function countWorkspaces(db: Database): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(workspaces).where(isNull(workspaces.deletedAt));
  return row?.n ?? 0;
}
