import { z } from "@hono/zod-openapi";
import { APPROVE_ACTIVITY, READ_ACTIVITY, approveActivity, getActivity, listActivities, rejectActivity } from "../../activities/activities.ts";
import { ACTIVITY_TYPES } from "../../activities/catalog.ts";
import { bearerToken } from "../../bearer.ts";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import { runHeldActivity } from "../activity-gate.ts";
import type { App } from "../env.ts";
import { registerOperation } from "../operation.ts";
import { id, text } from "../routes/schemas.ts";
import type { CustodyRules } from "../../activities/activities.ts";

const STATUSES = ["COMPLETED", "FAILED", "CONSENSUS_NEEDED", "EXECUTING", "REJECTED", "EXPIRED"] as const;

const activity = z
  .object({
    activityId: z.string(),
    type: z.string(),
    status: z.enum(STATUSES),
    digest: z.string().openapi({ description: "SHA-256 (hex) of the canonical request: approve and reject name it, so you approve exactly what you saw." }),
    params: z.record(z.string(), z.unknown()),
    initiator: z.object({ userId: z.string(), rootKeyId: z.string() }),
    approvals: z.array(z.object({ userId: z.string(), rootKeyId: z.string(), decision: z.enum(["APPROVE", "REJECT"]), createdAt: z.number() })),
    result: z.object({ status: z.number().int(), body: z.unknown() }).optional(),
    createdAt: z.number(),
    updatedAt: z.number(),
    expiresAt: z.number().optional(),
  })
  .openapi("Activity");

const decisionInput = z.object({ activityId: id("act_4dgzrNP3Je5mU1tmX8uLbd"), digest: z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 in hex") });

const RESULT_PROSE =
  "`result` is the answer the activity gave (secrets such as a created or decrypted key redacted); the initiator's own root key sees the full answer once, then it is gone.";

export function registerActivityRoutes(app: App, rules: CustodyRules): void {
  registerOperation(app, {
    operation: "activities.getActivity",
    summary: "Get an activity",
    description: `An activity: what was asked (params and digest), by whom, who approved it and its status. ${RESULT_PROSE}\n\nPermission: \`${READ_ACTIVITY}\`.`,
    permissions: [{ anyOf: [READ_ACTIVITY] }],
    read: true,
    request: z.object({ activityId: id("act_4dgzrNP3Je5mU1tmX8uLbd") }),
    data: activity,
    handle: (input, ctx, c) => getActivity(c.get("deps").db, ctx, input.activityId, bearerToken(c.req.header("Authorization")) ?? ""),
  });

  registerOperation(app, {
    operation: "activities.listActivities",
    summary: "List activities",
    description: `The workspace's activities, oldest first, a page at a time; \`status\` and \`type\` filter. ${RESULT_PROSE}\n\nPermission: \`${READ_ACTIVITY}\`.`,
    permissions: [{ anyOf: [READ_ACTIVITY] }],
    read: true,
    request: z.object({
      status: z.enum(STATUSES).optional(),
      type: z.enum(ACTIVITY_TYPES as [string, ...string[]]).optional(),
      limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
      cursor: text().optional(),
    }),
    data: activity,
    list: { items: "activities" },
    handle: (input, ctx, c) => listActivities(c.get("deps").db, ctx, input),
  });

  registerOperation(app, {
    operation: "activities.approveActivity",
    summary: "Approve an activity",
    description:
      "Adds the caller's user to the activity's approvers (once per user, whichever of their root keys). When the policies and the root " +
      "quorum are then satisfied the activity runs, exactly once, and the answer shows its outcome. `digest` must be the activity's (409 once " +
      "it no longer waits, or after it expired).\n\nPermission: `" + APPROVE_ACTIVITY + "`.",
    permissions: [{ anyOf: [APPROVE_ACTIVITY] }],
    request: decisionInput,
    data: activity,
    extraErrors: [409],
    handle: async (input, ctx, c) => {
      const { db, self } = c.get("deps");
      const { activity: held, claimed } = await approveActivity(db, rules, ctx, input);
      if (claimed) await runHeldActivity(self!, db, held);
      return getActivity(db, ctx, held.id, bearerToken(c.req.header("Authorization")) ?? "");
    },
  });

  registerOperation(app, {
    operation: "activities.rejectActivity",
    summary: "Reject an activity",
    description: "Rejects a waiting activity: it will never run. `digest` must be the activity's.\n\nPermission: `" + APPROVE_ACTIVITY + "`.",
    permissions: [{ anyOf: [APPROVE_ACTIVITY] }],
    request: decisionInput,
    data: activity,
    extraErrors: [409],
    handle: async (input, ctx, c) => {
      const { db } = c.get("deps");
      await rejectActivity(db, ctx, input);
      return getActivity(db, ctx, input.activityId, "");
    },
  });
}
