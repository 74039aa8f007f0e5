import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import { canonicalJson } from "../crypto/canonical-json.ts";
import { sha256Hex } from "../crypto/hash.ts";
import { constantTimeEqual } from "../crypto/subtle.ts";
import type { Database } from "../db/client.ts";
import { KeyholdError } from "../errors.ts";
import { newId } from "../ids.ts";
import { type ActivityKind, type ActivityTarget, activityKind } from "./catalog.ts";
import { type PolicyVerdict, decide } from "./decide.ts";
import type { PolicyInput, PolicyUser } from "../policies/engine.ts";
import { type Targets, resolveTargets } from "./targets.ts";
import { recordAudit } from "../audit/append.ts";
import type { ActivityRecordWriter } from "./record-writer.ts";
import { jsonbSafe } from "../db/jsonb-safe.ts";
import { holdsSecret, redactSecrets } from "../redact.ts";
import { newResultSeal, openResult } from "./seal.ts";
import {
  type ActivityFilter,
  type ActivityRow,
  type ActivityStatus,
  decisionsOf,
  executingSince,
  statusOf,
  findActivity,
  takeSealedResult,
  finishActivity,
  insertActivity,
  type Outcome,
  listActivityRows,
  moveStatus,
  recordDecision,
  type RootQuorum,
} from "./store.ts";

/** How long an activity waits for approvals before it can no longer run. */
export const DEFAULT_ACTIVITY_TTL_MS = 24 * 60 * 60 * 1000;

export const READ_ACTIVITY = "custody.*.read_activity";
export const APPROVE_ACTIVITY = "custody.*.approve_activity";

/** What the layer consults about a workspace: its policies, root quorum and users (src/policies/, src/users/). */
export interface CustodyRules {
  policies(db: Database, workspaceId: string): Promise<WorkspacePolicies>;
  quorum(db: Database, workspaceId: string): Promise<RootQuorum>;
  /** The initiator of an admission, and what it names: may be served from memory. */
  initiator(db: Database, workspaceId: string, userId: string): Promise<PolicyUser | undefined>;
  targets(db: Database, workspaceId: string, target: ActivityTarget): Promise<Targets>;
  /** Users as they are now (approvals). */
  users(db: Database, workspaceId: string, userIds: readonly string[]): Promise<PolicyUser[]>;
}

export interface WorkspacePolicies {
  count: number;
  evaluate(input: PolicyInput): PolicyVerdict;
}


export interface ActivityRequest {
  ctx: RootKeyContext;
  kind: ActivityKind;
  operation: string;
  /** The validated input: what approvers see (secrets redacted) and what the digest covers. */
  input: Record<string, unknown>;
}

export interface Admission {
  decision: ReturnType<typeof decide>;
  params: Record<string, unknown>;
  digest: string;
  /** What the request names (unchecked), and what of it was found in the caller's workspace. */
  declared: ActivityTarget;
  target: ActivityTarget;
}

/** SHA-256 of the canonical request: what an approver names to approve exactly what they saw. */
export function activityDigest(workspaceId: string, type: string, operation: string, params: Record<string, unknown>): string {
  return sha256Hex(canonicalJson({ workspaceId, type, operation, params }));
}

/**
 * Whether the request runs now (no policy or quorum holds it), is refused by a DENY, or
 * waits. A workspace without policies and with a quorum of one costs one small read.
 */
export async function admitActivity(db: Database, rules: CustodyRules, request: ActivityRequest): Promise<Admission> {
  const { ctx, kind, operation, input } = request;
  const params = jsonbSafe(redactSecrets(input)) as Record<string, unknown>;
  const digest = activityDigest(ctx.workspaceId, kind.type, operation, params);
  const declared = kind.target?.(input) ?? {};
  const [quorum, policies] = await Promise.all([rules.quorum(db, ctx.workspaceId), policiesFor(db, rules, kind, ctx.workspaceId)]);
  if (policies.count === 0 && quorum.threshold <= 1) return { decision: { run: true }, params, digest, declared, target: {} };
  const userId = ctx.userId;
  const [targets, user] = await Promise.all([rules.targets(db, ctx.workspaceId, declared), rules.initiator(db, ctx.workspaceId, userId)]);
  const initiator = user ?? { id: userId, name: "", email: null, tags: [] };
  // An initiator approves what it asks for; an end user's portal request is asked by the end user,
  // not by the user whose root key minted the session, so it starts with no approval at all.
  const approvers = selfApproves(kind) ? [initiator] : [];
  const verdict = policies.evaluate({ activity: { type: kind.type, params }, ...targets, user: initiator, approvers });
  const decision = decide({ verdict, quorum, rootGuarded: kind.rootGuarded === true, initiatorUserId: userId, approverUserIds: approvers.map((u) => u.id) });
  return { decision, params, digest, declared, target: { apiId: targets.api?.id, keyId: targets.key?.id } };
}

/** Whether the initiator's own approval counts: not for a portal request (see admitActivity). */
const selfApproves = (kind: ActivityKind) => kind.initiator !== "portal";

const NO_POLICIES: WorkspacePolicies = { count: 0, evaluate: () => ({ allowMatched: false, consensusMet: false }) };

/**
 * The policies that govern an activity. What the root quorum guards (users, root keys,
 * policies, the quorum itself) answers to the quorum alone, as in Turnkey: so no policy, however
 * wrong (a DENY whose expression fails, and so matches everything), can lock a workspace out of
 * the very calls that would fix it. Protecting those calls is what a quorum above 1 is for.
 */
function policiesFor(db: Database, rules: CustodyRules, kind: ActivityKind, workspaceId: string): Promise<WorkspacePolicies> {
  return kind.rootGuarded ? Promise.resolve(NO_POLICIES) : rules.policies(db, workspaceId);
}

export interface HeldRequest {
  method: string;
  path: string;
  /** The request as the client sent it (JSON body, or query for a GET), replayed on consensus. */
  raw: unknown;
}

/**
 * Stores a held activity (with the initiator's approval, but for a portal request's) and answers its id. A request that
 * carries plaintext secrets (an import of plaintext keys) cannot wait: it would rest in clear.
 * `initiatorSecret` is the plaintext credential the initiator authenticated with (its root key,
 * or a portal session's access token): only it will open the answer (seal.ts).
 */
export async function holdActivity(
  db: Database,
  request: ActivityRequest,
  admission: Admission,
  held: HeldRequest,
  initiatorSecret: string,
  ttlMs: number,
  now = Date.now(),
): Promise<string> {
  if (holdsSecret(request.input)) {
    throw new KeyholdError("PRECONDITION_FAILED", "This request needs approvals and holds plaintext keys, which cannot wait in the database: import their hashes instead.");
  }
  const id = newId("act", now);
  const seal = await newResultSeal(initiatorSecret, id);
  const columns = activityColumns(request, admission, id, now);
  await db.transaction(async (tx) => {
    await insertActivity(tx, {
      ...columns,
      status: "CONSENSUS_NEEDED",
      path: held.path,
      input: { method: held.method, raw: jsonbSafe(held.raw) } as Record<string, unknown>,
      sealPublicKey: seal.publicKey as Record<string, string>,
      sealPrivateKey: seal.wrappedPrivateKey,
      expiresAt: now + ttlMs,
    });
    if (selfApproves(request.kind)) await recordDecision(tx, id, request.ctx.userId, request.ctx.rootKeyId, "APPROVE", now);
    await audit(tx, columns, "activity.held", request.ctx, { operation: request.operation, params: admission.params, expiresAt: now + ttlMs });
  });
  return id;
}

/**
 * Records an activity that ran at once: the activity, with its outcome and its answer without
 * secrets, and its one trail entry (who asked what, and how it ended), written together by
 * group commit (record-writer.ts). The caller has its answer only once this is durable.
 */
export async function recordRanActivity(
  writer: ActivityRecordWriter,
  request: ActivityRequest,
  admission: Admission,
  path: string,
  outcome: Outcome,
  now = Date.now(),
): Promise<void> {
  const result = jsonbSafe(summarize(redactSecrets(outcome.result)));
  const done = outcome.status === "COMPLETED";
  const columns = activityColumns(request, admission, newId("act", now), now);
  // A completed activity names the api and key it acted on: only its success proves they are the workspace's.
  const named = { apiId: columns.apiId ?? (done ? admission.declared.apiId : undefined) ?? null, keyId: columns.keyId ?? (done ? admission.declared.keyId : undefined) ?? null };
  const activity = { ...columns, ...named, path, status: outcome.status, result, resultStatus: outcome.resultStatus };
  await writer.write(activity, {
    workspaceId: activity.workspaceId,
    event: done ? "activity.completed" : "activity.failed",
    activityId: activity.id,
    activityType: activity.type,
    userId: request.ctx.userId,
    rootKeyId: request.ctx.rootKeyId,
    ...(named.apiId && { apiId: named.apiId }),
    ...(named.keyId && { keyId: named.keyId }),
    details: { operation: request.operation, params: admission.params, resultStatus: outcome.resultStatus, result },
  });
}

/**
 * How a held activity ended once it ran, on the activity and on the trail: its answer without
 * secrets, cut to a summary when large (a page of decrypted keys is the caller's, not the
 * trail's).
 */
export async function endActivity(db: Database, activity: Pick<ActivityRow, "id" | "workspaceId" | "type" | "apiId" | "keyId">, outcome: Outcome, now = Date.now()): Promise<void> {
  const result = jsonbSafe(summarize(redactSecrets(outcome.result)));
  const done = outcome.status === "COMPLETED";
  await db.transaction(async (tx) => {
    // Only the one that ends it records how: a second sweep or a late run finds it ended.
    if (await finishActivity(tx, activity.id, { ...outcome, result }, now)) {
      await audit(tx, activity, done ? "activity.completed" : "activity.failed", null, { resultStatus: outcome.resultStatus, result });
    }
  });
}

/** How long an activity may stay EXECUTING before the sweep takes its process for dead. */
export const INTERRUPTED_AFTER_MS = 10 * 60 * 1000;

/**
 * Ends what a crashed process left EXECUTING (a held activity claimed by an approval whose
 * process died while running it): FAILED, on the activity and the trail, with an INTERRUPTED
 * result saying its outcome is unknown. It never runs again: the claim was its one run.
 */
export async function endInterruptedActivities(db: Database, now = Date.now()): Promise<number> {
  const stale = await executingSince(db, now - INTERRUPTED_AFTER_MS);
  const result = { code: "INTERRUPTED", message: "The process running this activity stopped before recording how it ended: what it did, if anything, is unknown; the trail and the resources it names tell." };
  for (const activity of stale) await endActivity(db, activity, { status: "FAILED", resultStatus: 500, result }, now);
  return stale.length;
}

/** The most of an answer an activity keeps; beyond it, only its size. */
export const MAX_RESULT_BYTES = 4096;

function summarize(result: unknown): unknown {
  const bytes = Buffer.byteLength(JSON.stringify(result ?? null));
  return bytes <= MAX_RESULT_BYTES ? result : { summarized: true, bytes };
}

/** One entry of the trail about an activity; `actor` null: the activity itself (its outcome). */
function audit(
  db: Database,
  activity: { id: string; workspaceId: string; type: string; apiId?: string | null; keyId?: string | null },
  event: string,
  actor: RootKeyContext | null,
  details: Record<string, unknown>,
) {
  return recordAudit(db, {
    workspaceId: activity.workspaceId,
    event,
    activityId: activity.id,
    activityType: activity.type,
    ...(actor && { userId: actor.userId, rootKeyId: actor.rootKeyId }),
    ...(activity.apiId && { apiId: activity.apiId }),
    ...(activity.keyId && { keyId: activity.keyId }),
    details,
  });
}

function activityColumns(request: ActivityRequest, admission: Admission, id: string, now: number) {
  return {
    id,
    workspaceId: request.ctx.workspaceId,
    type: request.kind.type,
    operation: request.operation,
    digest: admission.digest,
    params: admission.params,
    initiatorUserId: request.ctx.userId,
    initiatorRootKeyId: request.ctx.rootKeyId,
    apiId: admission.target.apiId ?? null,
    keyId: admission.target.keyId ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

/** A waiting activity found for a decision: 404 like a missing one across workspaces, 409 once it no longer waits. */
async function waitingActivity(db: Database, ctx: RootKeyContext, activityId: string, digest: string, now: number): Promise<ActivityRow> {
  const activity = await findActivity(db, ctx.workspaceId, activityId);
  if (!activity) throw new KeyholdError("NOT_FOUND", "The activity does not exist.");
  if (activity.status === "CONSENSUS_NEEDED" && activity.expiresAt !== null && activity.expiresAt <= now) {
    await db.transaction(async (tx) => {
      if (await moveStatus(tx, activity.id, "CONSENSUS_NEEDED", "EXPIRED", now)) await audit(tx, activity, "activity.expired", null, { expiresAt: activity.expiresAt });
    });
    throw new KeyholdError("CONFLICT", "The activity has expired: it can no longer be approved or rejected.");
  }
  if (activity.status !== "CONSENSUS_NEEDED") throw new KeyholdError("CONFLICT", `The activity is ${activity.status}: it no longer waits for decisions.`);
  if (!constantTimeEqual(digest, activity.digest)) throw new KeyholdError("BAD_REQUEST", "digest does not match the activity: approve exactly what you reviewed (activities.getActivity shows it).");
  return activity;
}

/**
 * One user's approval. Returns whether this call claimed the activity for execution: it then
 * runs exactly once, here, whatever approvals arrive beside it.
 */
export async function approveActivity(
  db: Database,
  rules: CustodyRules,
  ctx: RootKeyContext,
  input: { activityId: string; digest: string },
  now = Date.now(),
): Promise<{ activity: ActivityRow; claimed: boolean }> {
  requirePermission(ctx, APPROVE_ACTIVITY);
  const activity = await waitingActivity(db, ctx, input.activityId, input.digest, now);
  await db.transaction(async (tx) => {
    if (await recordDecision(tx, activity.id, ctx.userId, ctx.rootKeyId, "APPROVE", now)) await audit(tx, activity, "activity.approved", ctx, {});
  });
  const kind = activityKind(activity.operation);
  if (!kind) throw new KeyholdError("CONFLICT", "The activity's operation is no longer served.");
  const approvals = (await decisionsOf(db, activity.id)).filter((d) => d.decision === "APPROVE").map((d) => d.userId);
  const [quorum, policies, users] = await Promise.all([
    rules.quorum(db, ctx.workspaceId),
    policiesFor(db, rules, kind, ctx.workspaceId),
    rules.users(db, ctx.workspaceId, [activity.initiatorUserId, ...approvals]),
  ]);
  const userView = (id: string) => users.find((u) => u.id === id) ?? { id, name: "", email: null, tags: [] };
  // What it acts on, read again now: the same ids it named (its params), as they are today.
  const targets = await resolveTargets(db, ctx.workspaceId, kind.target?.(activity.params) ?? {});
  const verdict = policies.evaluate({
    activity: { type: activity.type, params: activity.params },
    ...targets,
    user: userView(activity.initiatorUserId),
    approvers: approvals.map(userView),
  });
  const decision = decide({ verdict, quorum, rootGuarded: kind.rootGuarded === true, initiatorUserId: activity.initiatorUserId, approverUserIds: approvals });
  if ("denied" in decision) {
    // A DENY added while it waited: it will never run.
    await db.transaction(async (tx) => {
      if (await moveStatus(tx, activity.id, "CONSENSUS_NEEDED", "REJECTED", now)) await audit(tx, activity, "activity.rejected", null, { deniedBy: decision.denied });
    });
    throw new KeyholdError("FORBIDDEN", `Denied by policy "${decision.denied.name}" (${decision.denied.policyId}).`);
  }
  if (!decision.run) return { activity, claimed: false };
  const claimed = await db.transaction(async (tx) => {
    const won = await moveStatus(tx, activity.id, "CONSENSUS_NEEDED", "EXECUTING", now);
    if (won) await audit(tx, activity, "activity.started", null, { approvers: approvals });
    return won;
  });
  return { activity, claimed };
}

/** One user's rejection: the activity will never run. */
export async function rejectActivity(db: Database, ctx: RootKeyContext, input: { activityId: string; digest: string }, now = Date.now()): Promise<void> {
  requirePermission(ctx, APPROVE_ACTIVITY);
  const activity = await waitingActivity(db, ctx, input.activityId, input.digest, now);
  await db.transaction(async (tx) => {
    await recordDecision(tx, activity.id, ctx.userId, ctx.rootKeyId, "REJECT", now);
    if (await moveStatus(tx, activity.id, "CONSENSUS_NEEDED", "REJECTED", now)) await audit(tx, activity, "activity.rejected", ctx, {});
  });
}

export interface ActivityView {
  activityId: string;
  type: string;
  status: ActivityStatus;
  digest: string;
  params: Record<string, unknown>;
  initiator: { userId: string; rootKeyId: string };
  approvals: { userId: string; rootKeyId: string; decision: "APPROVE" | "REJECT"; createdAt: number }[];
  result?: { status: number; body: unknown };
  createdAt: number;
  updatedAt: number;
  expiresAt?: number;
}

async function toView(db: Database, row: ActivityRow, now: number): Promise<ActivityView> {
  return {
    activityId: row.id,
    type: row.type,
    status: statusOf(row, now),
    digest: row.digest,
    params: row.params,
    initiator: { userId: row.initiatorUserId, rootKeyId: row.initiatorRootKeyId },
    approvals: await decisionsOf(db, row.id),
    ...(row.resultStatus !== null && { result: { status: row.resultStatus, body: row.result } }),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    ...(row.expiresAt !== null && { expiresAt: row.expiresAt }),
  };
}

/**
 * An activity; for the initiator's own root key, once, the full answer of a held activity
 * that ran (a created key, a decrypted one), opened with that root key and then deleted. An
 * end user's portal activity is sealed for their session, not for the root key that minted it:
 * that root key leaves it untouched (src/portal/portal-activities.ts collects it).
 */
export async function getActivity(
  db: Database,
  ctx: RootKeyContext,
  activityId: string,
  rootKeyToken: string,
  now = Date.now(),
): Promise<ActivityView> {
  requirePermission(ctx, READ_ACTIVITY);
  const row = await findActivity(db, ctx.workspaceId, activityId);
  if (!row) throw new KeyholdError("NOT_FOUND", "The activity does not exist.");
  const view = await toView(db, row, now);
  const sealedForRootKey = activityKind(row.operation)?.initiator !== "portal";
  if (row.resultSealed !== null && sealedForRootKey && row.initiatorRootKeyId === ctx.rootKeyId && view.result) {
    const taken = await takeSealedResult(db, row.id);
    const opened = taken && (await openResult(rootKeyToken, row.id, taken.wrappedPrivateKey, taken.sealed));
    if (opened) view.result = { status: view.result.status, body: opened };
  }
  return view;
}

export async function listActivities(db: Database, ctx: RootKeyContext, filter: ActivityFilter, now = Date.now()): Promise<{ items: ActivityView[]; cursor?: string }> {
  requirePermission(ctx, READ_ACTIVITY);
  const page = await listActivityRows(db, ctx.workspaceId, filter, now);
  return { items: await Promise.all(page.rows.map((r) => toView(db, r, now))), ...(page.cursor !== undefined && { cursor: page.cursor }) };
}
