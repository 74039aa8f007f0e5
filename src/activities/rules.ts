import { and, eq, inArray, isNull } from "drizzle-orm";
import { users } from "../db/schema.ts";
import { evaluatePolicies } from "../policies/engine.ts";
import { type PolicyDeps, loadCompiledPolicies } from "../policies/policies.ts";
import type { CustodyRules } from "./activities.ts";

/** What the activity layer consults about a workspace: its policies (src/policies/, cached) and its users (src/users/). */
export function custodyRules(deps: Pick<PolicyDeps, "policyCache">): CustodyRules {
  return {
    policies: async (db, workspaceId) => {
      const compiled = await loadCompiledPolicies({ db, policyCache: deps.policyCache }, workspaceId);
      return { count: compiled.length, evaluate: (input) => evaluatePolicies(compiled, input) };
    },
    users: async (db, workspaceId, ids) => {
      if (ids.length === 0) return [];
      return db
        .select({ id: users.id, name: users.name, email: users.email, tags: users.tags })
        .from(users)
        .where(and(eq(users.workspaceId, workspaceId), inArray(users.id, [...new Set(ids)]), isNull(users.deletedAt)));
    },
  };
}
