import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { apis, keys } from "../db/schema.ts";
import type { ActivityTarget } from "./catalog.ts";

/**
 * What a policy's CEL expressions see: the activity, what it acts on, who started it and who
 * has approved it. Only these plain values: an expression can reach nothing else.
 */
export interface PolicyInput {
  activity: { type: string; params: Record<string, unknown> };
  api?: { id: string; name: string; recoveryEnabled: boolean };
  key?: { id: string; apiId: string; name: string | null; meta: Record<string, unknown> };
  escrow_key?: { id: string; name: string };
  user: PolicyUser;
  approvers: PolicyUser[];
}

export interface PolicyUser {
  id: string;
  name: string;
  email: string | null;
  tags: string[];
}

/**
 * The api and key an activity names, read in its workspace only: another workspace's id is
 * absent here, and the route itself then answers 404 as it always did.
 */
export async function resolveTargets(db: Database, workspaceId: string, target: ActivityTarget): Promise<Pick<PolicyInput, "api" | "key">> {
  const out: Pick<PolicyInput, "api" | "key"> = {};
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
  return out;
}
