import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { preparedPerHandle } from "../db/prepared.ts";
import { users } from "../db/schema.ts";
import { evaluatePolicies } from "../policies/engine.ts";
import { type PolicyDeps, loadCompiledPolicies } from "../policies/policies.ts";
import type { CustodyRules } from "./activities.ts";
import { rootQuorumOf } from "./store.ts";
import { resolveTargets } from "./targets.ts";

/** What a policy sees of a user. */
const policyUser = { id: users.id, name: users.name, email: users.email, tags: users.tags };

const findOneUser = preparedPerHandle((db) =>
  db
    .select(policyUser)
    .from(users)
    .where(and(eq(users.workspaceId, sql.placeholder("workspaceId")), eq(users.id, sql.placeholder("id")), isNull(users.deletedAt)))
    .prepare("keyhold_policy_user"),
);

/**
 * What the activity layer consults about a workspace: its policies and root quorum, and for an
 * admission its initiator and the API it names (cached, src/policies/policy-cache.ts), and its
 * users (read each time: approvals weigh them as they are now).
 */
export function custodyRules(deps: Pick<PolicyDeps, "policyCache">): CustodyRules {
  return {
    policies: async (db, workspaceId) => {
      const compiled = await loadCompiledPolicies({ db, policyCache: deps.policyCache }, workspaceId);
      return { count: compiled.length, evaluate: (input) => evaluatePolicies(compiled, input) };
    },
    quorum: (db, workspaceId) => {
      const load = () => rootQuorumOf(db, workspaceId);
      return deps.policyCache ? deps.policyCache.findQuorum(workspaceId, load) : load();
    },
    initiator: (db, workspaceId, userId) => {
      const read = async () => (await findOneUser(db).execute({ workspaceId, id: userId }))[0];
      return deps.policyCache ? deps.policyCache.findFact(workspaceId, `user:${userId}`, read) : read();
    },
    targets: (db, workspaceId, target) => resolveTargets(db, workspaceId, target, deps.policyCache),
    users: async (db, workspaceId, ids) => {
      if (ids.length === 0) return [];
      return db
        .select(policyUser)
        .from(users)
        .where(and(eq(users.workspaceId, workspaceId), inArray(users.id, [...new Set(ids)]), isNull(users.deletedAt)));
    },
  };
}
