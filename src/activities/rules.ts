import type { CustodyRules } from "./activities.ts";

/** The workspace rules the activity layer consults (placeholder until users and policies land). */
export const custodyRules: CustodyRules = {
  policies: async () => ({ count: 0, evaluate: () => ({ allowMatched: false, consensusMet: false }) }),
  users: async (_db, _workspaceId, ids) => ids.map((id) => ({ id, name: "", email: null, tags: [] })),
};
