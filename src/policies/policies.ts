import { and, count, eq, gt } from "drizzle-orm";
import { POLICY } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { policies, workspaces } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { newId } from "../ids.ts";
import { jsonByteLength } from "../keys/storable.ts";
import { MAX_LIST_LIMIT, cutByBytes } from "../paging.ts";
import { type CompiledExpressions, type CompiledPolicy, type PolicyEffect, compilePolicy } from "./engine.ts";
import type { PolicyCache } from "./policy-cache.ts";

/**
 * A workspace's policies: create, update, delete, read, and the compiled set the activity
 * layer evaluates (loadCompiledPolicies, cached per workspace). Every expression is compiled
 * before it is stored, so a bad one is a 400 and nothing is written. Every query is scoped to
 * the caller's workspace: another workspace's policy answers exactly like a missing one.
 */

/** The most policies a workspace may hold; creating one more is a 409. */
export const MAX_POLICIES_PER_WORKSPACE = 100;

export interface PolicyDeps {
  db: Database;
  /** Compiled policies per workspace; null or unset: every load reads and compiles. */
  policyCache?: PolicyCache | null;
}

export type PolicyRow = typeof policies.$inferSelect;

export interface PolicyView {
  policyId: string;
  name: string;
  effect: PolicyEffect;
  condition: string;
  consensus?: string;
  notes?: string;
  createdAt: number;
  updatedAt?: number;
}

export interface CreatePolicyInput {
  name: string;
  effect: PolicyEffect;
  condition: string;
  /** Absent, null or empty: always met. */
  consensus?: string | null;
  notes?: string | null;
}

export interface UpdatePolicyInput extends Partial<CreatePolicyInput> {
  policyId: string;
}

const policyNotFound = () => new KeyholdError("NOT_FOUND", "The policy does not exist.");

/** Empty consensus and notes are stored as null: "always met", "none". */
const orNull = (text: string | null | undefined) => (text?.trim() ? text : null);

export function toPolicyView(row: PolicyRow): PolicyView {
  return {
    policyId: row.id,
    name: row.name,
    effect: row.effect,
    condition: row.condition,
    ...(row.consensus !== null && { consensus: row.consensus }),
    ...(row.notes !== null && { notes: row.notes }),
    createdAt: row.createdAt,
    ...(row.updatedAt !== null && { updatedAt: row.updatedAt }),
  };
}

export async function createPolicy(deps: PolicyDeps, ctx: RootKeyContext, input: CreatePolicyInput): Promise<{ policyId: string }> {
  requirePermission(ctx, POLICY.create);
  compilePolicy(input);
  const now = Date.now();
  const policyId = newId("pol", now);
  await deps.db.transaction(async (tx) => {
    // The workspace's row serialises its creates, so the bound holds under concurrency.
    await tx.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, ctx.workspaceId)).for("update");
    const [held] = await tx.select({ n: count() }).from(policies).where(eq(policies.workspaceId, ctx.workspaceId));
    if ((held?.n ?? 0) >= MAX_POLICIES_PER_WORKSPACE) {
      throw new KeyholdError("CONFLICT", `The workspace already has ${MAX_POLICIES_PER_WORKSPACE} policies, the most it may have; delete one first.`);
    }
    await tx.insert(policies).values({
      id: policyId,
      workspaceId: ctx.workspaceId,
      name: input.name,
      effect: input.effect,
      condition: input.condition,
      consensus: orNull(input.consensus),
      notes: orNull(input.notes),
      createdAt: now,
    });
  });
  deps.policyCache?.forgetWorkspace(ctx.workspaceId);
  return { policyId };
}

/** Changes the fields sent (null or "" clears consensus and notes); the result is compiled before it is stored. */
export async function updatePolicy(deps: PolicyDeps, ctx: RootKeyContext, input: UpdatePolicyInput): Promise<void> {
  requirePermission(ctx, POLICY.update);
  await deps.db.transaction(async (tx) => {
    const [row] = await tx.select().from(policies).where(scoped(ctx, input.policyId)).for("update");
    if (!row) throw policyNotFound();
    const next = {
      name: input.name ?? row.name,
      effect: input.effect ?? row.effect,
      condition: input.condition ?? row.condition,
      consensus: input.consensus === undefined ? row.consensus : orNull(input.consensus),
      notes: input.notes === undefined ? row.notes : orNull(input.notes),
    };
    compilePolicy(next);
    await tx.update(policies).set({ ...next, updatedAt: Date.now() }).where(eq(policies.id, row.id));
  });
  deps.policyCache?.forgetWorkspace(ctx.workspaceId);
}

export async function deletePolicy(deps: PolicyDeps, ctx: RootKeyContext, policyId: string): Promise<void> {
  requirePermission(ctx, POLICY.delete);
  const deleted = await deps.db.delete(policies).where(scoped(ctx, policyId)).returning({ id: policies.id });
  if (deleted.length === 0) throw policyNotFound();
  deps.policyCache?.forgetWorkspace(ctx.workspaceId);
}

export async function getPolicy(db: Database, ctx: RootKeyContext, policyId: string): Promise<PolicyView> {
  requirePermission(ctx, POLICY.read);
  const [row] = await db.select().from(policies).where(scoped(ctx, policyId));
  if (!row) throw policyNotFound();
  return toPolicyView(row);
}

/** One page in id (creation) order, ending at `limit` or MAX_PAGE_BYTES of JSON; `cursor` continues it. */
export async function listPolicies(db: Database, ctx: RootKeyContext, input: { limit?: number; cursor?: string }): Promise<{ policies: PolicyView[]; cursor?: string }> {
  requirePermission(ctx, POLICY.read);
  const limit = input.limit ?? MAX_LIST_LIMIT;
  const rows = await db
    .select()
    .from(policies)
    .where(and(eq(policies.workspaceId, ctx.workspaceId), input.cursor !== undefined ? gt(policies.id, input.cursor) : undefined))
    .orderBy(policies.id)
    .limit(limit + 1);
  const page = cutByBytes(rows.slice(0, limit), (r) => jsonByteLength(toPolicyView(r)));
  return { policies: page.map(toPolicyView), ...(rows.length > page.length && { cursor: page.at(-1)!.id }) };
}

/**
 * The workspace's policies, compiled, in creation order: what the activity layer evaluates.
 * From the cache when it holds them (a workspace without policies costs one map lookup).
 */
export async function loadCompiledPolicies(deps: PolicyDeps, workspaceId: string): Promise<readonly CompiledPolicy[]> {
  const load = async () => {
    const rows = await deps.db.select().from(policies).where(eq(policies.workspaceId, workspaceId)).orderBy(policies.id);
    return {
      policies: rows.map((row) => ({ id: row.id, name: row.name, effect: row.effect, ...compileStored(row) })),
      sourceChars: rows.reduce((sum, row) => sum + row.condition.length + (row.consensus?.length ?? 0), 0),
    };
  };
  return deps.policyCache ? deps.policyCache.find(workspaceId, load) : (await load()).policies;
}

/**
 * A stored policy that no longer compiles (a rule added since refuses it) still controls:
 * its expressions fail on every evaluation, which the engine decides closed (a DENY denies,
 * an ALLOW needs a consensus it can never meet) until it is fixed or deleted.
 */
function compileStored(row: PolicyRow): CompiledExpressions {
  try {
    return compilePolicy(row);
  } catch (error) {
    const fail = () => {
      throw error;
    };
    return { condition: fail, consensus: fail };
  }
}

function scoped(ctx: RootKeyContext, policyId: string) {
  return and(eq(policies.workspaceId, ctx.workspaceId), eq(policies.id, policyId));
}
