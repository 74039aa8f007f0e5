import { z } from "@hono/zod-openapi";
import { POLICY } from "../../auth/permissions.ts";
import { MAX_PAGE_BYTES, MAX_LIST_LIMIT } from "../../paging.ts";
import { MAX_EXPRESSION_LENGTH } from "../../policies/engine.ts";
import { MAX_COMPREHENSION_NESTING } from "../../policies/expression-structure.ts";
import { MAX_POLICIES_PER_WORKSPACE, createPolicy, deletePolicy, getPolicy, listPolicies, updatePolicy } from "../../policies/policies.ts";
import type { App } from "../env.ts";
import { registerOperation } from "../operation.ts";
import { id, text } from "../routes/schemas.ts";

/** policies.* (docs/custody-design.md): one definition each, served as /v1 and /v2. */

const policyId = id("pol_1Ghu6Y2kQ7xW3nZ8rT5vLp");
const effect = z.enum(["ALLOW", "DENY"]).openapi({ description: "DENY refuses what its condition matches; ALLOW lets it run once its consensus holds." });
const condition = text(MAX_EXPRESSION_LENGTH).openapi({
  description: "CEL over `activity`, `api`, `key`, `escrow_key`, `user`, `approvers`: which activities the policy applies to.",
  example: "activity.type == 'DECRYPT_KEY' && api.id == 'api_1234'",
});
/** Empty or null: always met. */
const consensus = text(MAX_EXPRESSION_LENGTH)
  .or(z.literal(""))
  .openapi({ description: "CEL over the same inputs: which approvals an ALLOW needs (e.g. `approvers.count() >= 2`). Empty: none.", example: "approvers.count() >= 2" });
const notes = text(1024).or(z.literal(""));

const policy = z
  .object({
    policyId: z.string(),
    name: z.string(),
    effect,
    condition: z.string(),
    consensus: z.string().optional(),
    notes: z.string().optional(),
    createdAt: z.number(),
    updatedAt: z.number().optional(),
  })
  .openapi("Policy");

const EXPRESSIONS =
  `\n\nBoth expressions are compiled first: a parse or type error is a 400 naming the expression and its line and column; each is at most ${MAX_EXPRESSION_LENGTH} characters, ` +
  `nests comprehensions at most ${MAX_COMPREHENSION_NESTING} deep, may not use \`matches()\`, and must stay within the evaluation budget on a large sample input. ` +
  "A condition that fails on a real activity (for example a missing `activity.params` key: guard with `has()`) counts as matching: a DENY denies, an ALLOW needs its consensus.";

export const policyOperations: ((app: App) => void)[] = [
  (app) =>
    registerOperation(app, {
      operation: "policies.createPolicy",
      summary: "Create a policy",
      description: `A policy of the caller's workspace; at most ${MAX_POLICIES_PER_WORKSPACE} per workspace (409 beyond).${EXPRESSIONS}\n\nPermission: \`${POLICY.create}\`.`,
      permissions: [{ anyOf: [POLICY.create] }],
      extraErrors: [409],
      request: z.object({ name: text(), effect, condition, consensus: consensus.optional(), notes: notes.optional() }),
      data: z.object({ policyId: z.string() }),
      handle: (input, ctx, c) => createPolicy(c.get("deps"), ctx, input),
    }),
  (app) =>
    registerOperation(app, {
      operation: "policies.updatePolicy",
      summary: "Update a policy",
      description: `Changes the fields sent; \`consensus\` or \`notes\` null or empty clears it.${EXPRESSIONS}\n\nPermission: \`${POLICY.update}\`.`,
      permissions: [{ anyOf: [POLICY.update] }],
      request: z.object({ policyId, name: text().optional(), effect: effect.optional(), condition: condition.optional(), consensus: consensus.nullable().optional(), notes: notes.nullable().optional() }),
      data: z.object({}),
      handle: async (input, ctx, c) => (await updatePolicy(c.get("deps"), ctx, input), {}),
    }),
  (app) =>
    registerOperation(app, {
      operation: "policies.deletePolicy",
      summary: "Delete a policy",
      description: `Deletes the policy at once; it no longer controls anything.\n\nPermission: \`${POLICY.delete}\`.`,
      permissions: [{ anyOf: [POLICY.delete] }],
      request: z.object({ policyId }),
      data: z.object({}),
      handle: async (input, ctx, c) => (await deletePolicy(c.get("deps"), ctx, input.policyId), {}),
    }),
  (app) =>
    registerOperation(app, {
      operation: "policies.getPolicy",
      summary: "Read a policy",
      description: `One policy of the caller's workspace.\n\nPermission: \`${POLICY.read}\`.`,
      permissions: [{ anyOf: [POLICY.read] }],
      read: true,
      request: z.object({ policyId }),
      data: policy,
      handle: (input, ctx, c) => getPolicy(c.get("deps").db, ctx, input.policyId),
    }),
  (app) =>
    registerOperation(app, {
      operation: "policies.listPolicies",
      summary: "List policies",
      description: `The workspace's policies in creation order, at most \`limit\` (default and most ${MAX_LIST_LIMIT}) or ${MAX_PAGE_BYTES / 1024 / 1024} MiB of JSON per page; \`cursor\` continues.\n\nPermission: \`${POLICY.read}\`.`,
      permissions: [{ anyOf: [POLICY.read] }],
      read: true,
      request: z.object({ limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).optional(), cursor: text().optional() }),
      data: policy,
      list: { items: "policies" },
      handle: async (input, ctx, c) => {
        const page = await listPolicies(c.get("deps").db, ctx, input);
        return { items: page.policies, cursor: page.cursor };
      },
    }),
];
