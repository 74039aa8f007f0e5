import { and, asc, eq, gt, isNull, lte, or, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { executeRows } from "../db/execute-rows.ts";
import { activities, activityApprovals, workspaces } from "../db/schema.ts";
import { cutByBytes, MAX_LIST_LIMIT } from "../paging.ts";
import { jsonByteLength } from "../keys/storable.ts";

export type ActivityRow = typeof activities.$inferSelect;
export type ActivityStatus = "COMPLETED" | "FAILED" | "CONSENSUS_NEEDED" | "EXECUTING" | "REJECTED" | "EXPIRED";
export type Decision = "APPROVE" | "REJECT";

export async function insertActivity(db: Database, row: typeof activities.$inferInsert): Promise<void> {
  await db.insert(activities).values(row);
}

/** The activity with this id in this workspace; another workspace's id finds nothing, like a missing one. */
export async function findActivity(db: Database, workspaceId: string, activityId: string): Promise<ActivityRow | null> {
  const [row] = await db
    .select()
    .from(activities)
    .where(and(eq(activities.workspaceId, workspaceId), eq(activities.id, activityId)))
    .limit(1);
  return row ?? null;
}

export interface ActivityFilter {
  status?: string;
  type?: string;
  limit?: number;
  cursor?: string;
}

/** One page in creation order, ending at `limit` or MAX_PAGE_BYTES of JSON. */
export async function listActivityRows(db: Database, workspaceId: string, filter: ActivityFilter, now = Date.now()): Promise<{ rows: ActivityRow[]; cursor?: string }> {
  const limit = filter.limit ?? MAX_LIST_LIMIT;
  const rows = await db
    .select()
    .from(activities)
    .where(
      and(
        eq(activities.workspaceId, workspaceId),
        filter.status !== undefined ? statusIs(filter.status, now) : undefined,
        filter.type !== undefined ? eq(activities.type, filter.type) : undefined,
        filter.cursor !== undefined ? gt(activities.id, filter.cursor) : undefined,
      ),
    )
    .orderBy(asc(activities.id))
    .limit(limit + 1);
  const page = cutByBytes(rows.slice(0, limit), (r) => jsonByteLength(r.params) + jsonByteLength(r.result ?? null));
  return { rows: page, ...(rows.length > page.length && { cursor: page.at(-1)!.id }) };
}

/** An activity's status as it reads: one that waited past its time is EXPIRED, whatever its row says (see statusIs). */
export function statusOf(row: Pick<ActivityRow, "status" | "expiresAt">, now: number): ActivityStatus {
  const waitingTooLong = row.status === "CONSENSUS_NEEDED" && row.expiresAt !== null && row.expiresAt <= now;
  return waitingTooLong ? "EXPIRED" : (row.status as ActivityStatus);
}

/**
 * A status as activities read it: one that waited past its time reads EXPIRED (it is marked so
 * only when someone next acts on it), so it is not waiting any more, whatever its row says.
 */
function statusIs(status: string, now: number) {
  const pastDue = and(eq(activities.status, "CONSENSUS_NEEDED"), lte(activities.expiresAt, now));
  if (status === "EXPIRED") return or(eq(activities.status, "EXPIRED"), pastDue);
  if (status === "CONSENSUS_NEEDED") return and(eq(activities.status, status), or(isNull(activities.expiresAt), gt(activities.expiresAt, now)));
  return eq(activities.status, status);
}

/** A user's decision; a second one by the same user changes nothing (one person, one vote). */
export async function recordDecision(db: Database, activityId: string, userId: string, rootKeyId: string, decision: Decision, now: number): Promise<boolean> {
  const inserted = await db
    .insert(activityApprovals)
    .values({ activityId, userId, rootKeyId, decision, createdAt: now })
    .onConflictDoNothing()
    .returning({ userId: activityApprovals.userId });
  return inserted.length > 0;
}

export async function decisionsOf(db: Database, activityId: string) {
  return db
    .select({ userId: activityApprovals.userId, rootKeyId: activityApprovals.rootKeyId, decision: activityApprovals.decision, createdAt: activityApprovals.createdAt })
    .from(activityApprovals)
    .where(eq(activityApprovals.activityId, activityId))
    .orderBy(asc(activityApprovals.createdAt));
}

/**
 * Moves a waiting activity on, from one status to another; true for the one caller that did.
 * Claiming it for execution this way is what makes it run exactly once, however many
 * approvals arrive together.
 */
export async function moveStatus(db: Database, activityId: string, from: ActivityStatus, to: ActivityStatus, now: number): Promise<boolean> {
  const moved = await db
    .update(activities)
    .set({ status: to, updatedAt: now })
    .where(and(eq(activities.id, activityId), eq(activities.status, from)))
    .returning({ id: activities.id });
  return moved.length > 0;
}

export interface Outcome {
  status: "COMPLETED" | "FAILED";
  result: unknown;
  resultStatus: number;
  resultSealed?: string | null;
}

/** The end of an executing activity: its outcome, and its stored input dropped (it ran). */
export async function finishActivity(db: Database, activityId: string, outcome: Outcome, now: number): Promise<boolean> {
  const ended = await db
    .update(activities)
    .set({
      status: outcome.status,
      result: outcome.result,
      resultStatus: outcome.resultStatus,
      resultSealed: outcome.resultSealed ?? null,
      input: null,
      updatedAt: now,
    })
    .where(and(eq(activities.id, activityId), eq(activities.status, "EXECUTING")))
    .returning({ id: activities.id });
  return ended.length > 0;
}

/** Activities claimed for execution longer ago than `before`, oldest first (for the interruption sweep). */
export async function executingSince(db: Database, before: number, limit = 100): Promise<ActivityRow[]> {
  return db
    .select()
    .from(activities)
    .where(and(eq(activities.status, "EXECUTING"), lte(activities.updatedAt, before)))
    .orderBy(asc(activities.updatedAt))
    .limit(limit);
}

/** Takes the sealed answer out, once: the first reader gets it, the database keeps nothing of it. */
export async function takeSealedResult(db: Database, activityId: string): Promise<{ sealed: string; wrappedPrivateKey: string } | null> {
  const [row] = await executeRows<{ sealed: string; wrapped: string }>(db, sql`
    WITH taken AS (
      SELECT id, result_sealed, seal_private_key FROM ${activities}
      WHERE id = ${activityId} AND result_sealed IS NOT NULL FOR UPDATE
    )
    UPDATE ${activities} a SET result_sealed = NULL, seal_private_key = NULL
    FROM taken WHERE a.id = taken.id
    RETURNING taken.result_sealed AS sealed, taken.seal_private_key AS wrapped`);
  return row ? { sealed: row.sealed, wrappedPrivateKey: row.wrapped } : null;
}

export interface RootQuorum {
  userIds: string[];
  threshold: number;
}

export async function rootQuorumOf(db: Database, workspaceId: string): Promise<RootQuorum> {
  const [row] = await db
    .select({ userIds: workspaces.quorumUserIds, threshold: workspaces.quorumThreshold })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId))
    .limit(1);
  return row ?? { userIds: [], threshold: 1 };
}

export async function setRootQuorum(db: Database, workspaceId: string, quorum: RootQuorum): Promise<void> {
  await db.update(workspaces).set({ quorumUserIds: quorum.userIds, quorumThreshold: quorum.threshold }).where(eq(workspaces.id, workspaceId));
}
