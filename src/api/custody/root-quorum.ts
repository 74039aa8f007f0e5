import { z } from "@hono/zod-openapi";
import type { CustodyRules } from "../../activities/activities.ts";
import { requirePermission } from "../../auth/root-key-auth.ts";
import { setRootQuorum } from "../../activities/store.ts";
import { KeyholdError } from "../../errors.ts";
import type { App } from "../env.ts";
import { registerOperation } from "../operation.ts";
import { id } from "../routes/schemas.ts";

export const READ_ROOT_QUORUM = "custody.*.read_root_quorum";
export const UPDATE_ROOT_QUORUM = "custody.*.update_root_quorum";
/** A quorum larger than this is not a quorum anyone can gather. */
const MAX_QUORUM_USERS = 50;

const quorum = z.object({ userIds: z.array(z.string()), threshold: z.number().int() }).openapi("RootQuorum");

export function registerRootQuorumRoutes(app: App, rules: CustodyRules): void {
  registerOperation(app, {
    operation: "workspaces.getRootQuorum",
    summary: "Get the root quorum",
    description: `The workspace's root quorum: its users and how many of them must approve what it guards.\n\nPermission: \`${READ_ROOT_QUORUM}\`.`,
    permissions: [{ anyOf: [READ_ROOT_QUORUM] }],
    read: true,
    request: z.object({}),
    data: quorum,
    handle: async (_input, ctx, c) => {
      requirePermission(ctx, READ_ROOT_QUORUM);
      return rules.quorum(c.get("deps").db, ctx.workspaceId);
    },
  });

  registerOperation(app, {
    operation: "workspaces.updateRootQuorum",
    summary: "Set the root quorum",
    description:
      "Sets the root quorum: while `threshold` is above 1, changing users, root keys, policies or the quorum itself, and anything a quorum user " +
      "starts, needs that many distinct quorum users' approvals (activities.approveActivity). The quorum guards its own change: raising it to 2 " +
      "is one approval, lowering it again takes two.\n\nPermission: `" + UPDATE_ROOT_QUORUM + "`.",
    permissions: [{ anyOf: [UPDATE_ROOT_QUORUM] }],
    request: z.object({
      userIds: z.array(id("usr_4dgzrNP3Je5mU1tmX8uLbd")).max(MAX_QUORUM_USERS),
      threshold: z.number().int().min(1).max(MAX_QUORUM_USERS),
    }),
    data: quorum,
    handle: async (input, ctx, c) => {
      requirePermission(ctx, UPDATE_ROOT_QUORUM);
      const userIds = [...new Set(input.userIds)];
      if (input.threshold > Math.max(1, userIds.length)) {
        throw new KeyholdError("BAD_REQUEST", `threshold: ${input.threshold} is more than the quorum's ${userIds.length} users.`);
      }
      const { db } = c.get("deps");
      const found = new Set((await rules.users(db, ctx.workspaceId, userIds)).map((u) => u.id));
      const missing = userIds.find((u) => !found.has(u));
      if (missing !== undefined) throw new KeyholdError("NOT_FOUND", `The user ${missing} does not exist.`);
      await setRootQuorum(db, ctx.workspaceId, { userIds, threshold: input.threshold });
      c.get("deps").policyCache?.forgetWorkspace(ctx.workspaceId); // this instance at once; the others by notice (drizzle/0013)
      return { userIds, threshold: input.threshold };
    },
  });
}
