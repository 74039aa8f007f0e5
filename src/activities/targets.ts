import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { preparedPerHandle } from "../db/prepared.ts";
import { apis, escrowKeys, keys } from "../db/schema.ts";
import type { PolicyInput } from "../policies/engine.ts";
import type { ActivityTarget } from "./catalog.ts";

export type Targets = Required<Pick<PolicyInput, "api" | "key" | "escrow_key">>;

/** Where an admission may find an API it read before (src/policies/policy-cache.ts). */
export interface KnownFacts {
  findFact<T extends object>(workspaceId: string, fact: string, load: () => Promise<T | undefined>): Promise<T | undefined>;
}

/**
 * The api, key and escrow key an activity names, read in its workspace only: another workspace's id is
 * absent here, and the route itself then answers 404 as it always did. With `facts`, a known API
 * is not read again (an admission's API rarely changes; approvals read it fresh).
 */
export async function resolveTargets(db: Database, workspaceId: string, target: ActivityTarget, facts?: KnownFacts | null): Promise<Targets> {
  const out: Targets = { api: null, key: null, escrow_key: null };
  if (target.keyId !== undefined) {
    const [row] = await findKey(db).execute({ workspaceId, id: target.keyId });
    if (row) out.key = { ...row, meta: row.meta ?? {} };
  }
  const apiId = target.apiId ?? out.key?.apiId;
  if (apiId !== undefined) {
    const read = async () => (await findApi(db).execute({ workspaceId, id: apiId }))[0];
    out.api = (await (facts ? facts.findFact(workspaceId, `api:${apiId}`, read) : read())) ?? null;
  }
  if (target.escrowKeyId !== undefined) {
    const [row] = await findEscrowKey(db).execute({ workspaceId, id: target.escrowKeyId });
    if (row) out.escrow_key = row;
  }
  return out;
}

// Prepared: with any policy in the workspace, every activity that names a target reads it here.
const workspaceId = sql.placeholder("workspaceId");
const id = sql.placeholder("id");

const findKey = preparedPerHandle((db) =>
  db
    .select({ id: keys.id, apiId: keys.apiId, name: keys.name, meta: keys.meta })
    .from(keys)
    .where(and(eq(keys.workspaceId, workspaceId), eq(keys.id, id), isNull(keys.deletedAt)))
    .limit(1)
    .prepare("keyhold_activity_target_key"),
);

const findApi = preparedPerHandle((db) =>
  db
    .select({ id: apis.id, name: apis.name, recoveryEnabled: apis.recoveryEnabled })
    .from(apis)
    .where(and(eq(apis.workspaceId, workspaceId), eq(apis.id, id), isNull(apis.deletedAt)))
    .limit(1)
    .prepare("keyhold_activity_target_api"),
);

const findEscrowKey = preparedPerHandle((db) =>
  db
    .select({ id: escrowKeys.id, name: escrowKeys.name })
    .from(escrowKeys)
    .where(and(eq(escrowKeys.workspaceId, workspaceId), eq(escrowKeys.id, id), isNull(escrowKeys.deletedAt)))
    .limit(1)
    .prepare("keyhold_activity_target_escrow_key"),
);
