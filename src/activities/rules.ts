import { and, eq, inArray, isNull } from "drizzle-orm";
import { users } from "../db/schema.ts";
import type { CustodyRules } from "./activities.ts";

/** The workspace rules the activity layer consults: its users (src/users/) and, below, its policies. */
export const custodyRules: CustodyRules = {
  policies: async () => ({ count: 0, evaluate: () => ({ allowMatched: false, consensusMet: false }) }),
  users: async (db, workspaceId, ids) => {
    if (ids.length === 0) return [];
    return db
      .select({ id: users.id, name: users.name, email: users.email, tags: users.tags })
      .from(users)
      .where(and(eq(users.workspaceId, workspaceId), inArray(users.id, [...new Set(ids)]), isNull(users.deletedAt)));
  },
};
