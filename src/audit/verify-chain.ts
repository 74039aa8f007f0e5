import { and, asc, eq, gt, gte, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { auditHeads, auditLog } from "../db/schema.ts";
import { executeRows } from "../db/execute-rows.ts";
import { type AuditEntry, GENESIS_HASH, hashEntry } from "./entry.ts";

/** Rows read per query: a chain of millions is checked in bounded memory. */
const BATCH = 1000;

export type ChainProblem =
  | { kind: "changed"; seq: number; id: string }
  | { kind: "deleted"; seq: number }
  | { kind: "reordered"; seq: number; id: string };

export interface ChainReport {
  workspaceId: string;
  /** Entries read (up to the first problem, if any). */
  checked: number;
  problem?: ChainProblem;
}

/** The workspaces that have a chain (a head or any entry), in id order; or just `workspaceId`. */
export async function chainWorkspaces(db: Database, workspaceId?: string): Promise<string[]> {
  if (workspaceId !== undefined) return [workspaceId];
  const rows = await executeRows<{ workspace_id: string }>(
    db,
    sql`select workspace_id from audit_heads union select distinct workspace_id from audit_log order by 1`,
  );
  return rows.map((r) => r.workspace_id);
}

/** A workspace's entries in seq order, at `at` or later, read a batch at a time. */
export async function* readChain(db: Database, workspaceId: string, since?: number): AsyncGenerator<AuditEntry> {
  let after = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.workspaceId, workspaceId), gt(auditLog.seq, after), since !== undefined ? gte(auditLog.at, since) : undefined))
      .orderBy(asc(auditLog.seq))
      .limit(BATCH);
    yield* rows;
    if (rows.length < BATCH) return;
    after = rows.at(-1)!.seq;
  }
}

/**
 * Recomputes one workspace's chain and names its first problem: an entry whose content no longer
 * gives its hash (changed), a seq missing from 1..head (deleted, the last ones included: the
 * head remembers how far the chain went), or an entry that does not follow its predecessor's
 * hash (reordered, or the entry before it changed and rehashed).
 */
export async function verifyChain(db: Database, workspaceId: string): Promise<ChainReport> {
  let expected = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let lastId = "";
  const report = (problem: ChainProblem): ChainReport => ({ workspaceId, checked, problem });
  for await (const entry of readChain(db, workspaceId)) {
    if (entry.seq !== expected) return report({ kind: "deleted", seq: expected });
    checked++;
    if (hashEntry(entry) !== entry.hash) return report({ kind: "changed", seq: entry.seq, id: entry.id });
    if (entry.prevHash !== prevHash) return report({ kind: "reordered", seq: entry.seq, id: entry.id });
    prevHash = entry.hash;
    lastId = entry.id;
    expected++;
  }
  const [head] = await db.select().from(auditHeads).where(eq(auditHeads.workspaceId, workspaceId));
  const last = expected - 1;
  if ((head?.seq ?? 0) > last) return report({ kind: "deleted", seq: expected });
  // A head behind the entries or at another hash: the chain's end was rewritten.
  if (last > 0 && (head?.seq !== last || head.hash !== prevHash)) return report({ kind: "changed", seq: last, id: lastId });
  return { workspaceId, checked };
}

export function describeProblem(problem: ChainProblem): string {
  switch (problem.kind) {
    case "changed":
      return `entry ${problem.seq} (${problem.id}) was changed: its content no longer matches its hash`;
    case "deleted":
      return `entry ${problem.seq} was deleted: the chain has no entry with that seq`;
    case "reordered":
      return `entry ${problem.seq} (${problem.id}) is out of order: it does not follow entry ${problem.seq - 1} (reordered, or the entry before it was changed and rehashed)`;
  }
}
