import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { apis, escrowKeys, keys } from "../db/schema.ts";
import type { PolicyInput } from "../policies/engine.ts";
import type { ActivityTarget } from "./catalog.ts";

export type Targets = Required<Pick<PolicyInput, "api" | "key" | "escrow_key">>;

/**
 * The api, key and escrow key an activity names, read in its workspace only: another workspace's id is
 * absent here, and the route itself then answers 404 as it always did.
 */
export async function resolveTargets(db: Database, workspaceId: string, target: ActivityTarget): Promise<Targets> {
  const out: Targets = { api: null, key: null, escrow_key: null };
  if (target.keyId !== undefined) {
    const [row] = await db
      .select({ id: keys.id, apiId: keys.apiId, name: keys.name, meta: keys.meta })
      .from(keys)
      .where(and(eq(keys.workspaceId, workspaceId), eq(keys.id, target.keyId), isNull(keys.deletedAt)))
      .limit(1);
    if (row) out.key = { ...row, meta: row.meta ?? {} };
  }
  const apiId = target.apiId ?? out.key?.apiId;
  if (apiId !== undefined) {
    const [row] = await db
      .select({ id: apis.id, name: apis.name, recoveryEnabled: apis.recoveryEnabled })
      .from(apis)
      .where(and(eq(apis.workspaceId, workspaceId), eq(apis.id, apiId), isNull(apis.deletedAt)))
      .limit(1);
    if (row) out.api = row;
  }
  if (target.escrowKeyId !== undefined) {
    const [row] = await db
      .select({ id: escrowKeys.id, name: escrowKeys.name })
      .from(escrowKeys)
      .where(and(eq(escrowKeys.workspaceId, workspaceId), eq(escrowKeys.id, target.escrowKeyId), isNull(escrowKeys.deletedAt)))
      .limit(1);
    if (row) out.escrow_key = row;
  }
  return out;
}
