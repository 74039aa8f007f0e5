import { isNull, sql } from "drizzle-orm";
import { insertRootKey } from "../auth/root-keys.ts";
import type { Database } from "../db/client.ts";
import { workspaces } from "../db/schema.ts";
import { newId } from "../ids.ts";

export interface Bootstrapped {
  workspaceId: string;
  rootKeyId: string;
  rootKey: string;
}

/** A new workspace and its first root key, holding `*`. The key is returned once. */
export async function bootstrapWorkspace(db: Database, name = "default"): Promise<Bootstrapped> {
  return db.transaction(async (tx) => {
    const workspaceId = newId("ws");
    await tx.insert(workspaces).values({ id: workspaceId, name, createdAt: Date.now() });
    const { keyId, key } = await insertRootKey(tx, { workspaceId, name: "bootstrap", permissions: ["*"] });
    return { workspaceId, rootKeyId: keyId, rootKey: key };
  });
}

export async function countWorkspaces(db: Database): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(workspaces).where(isNull(workspaces.deletedAt));
  return row?.n ?? 0;
}
