import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { executeRows } from "../db/execute-rows.ts";
import { auditHeads, auditLog, auditPending } from "../db/schema.ts";
import { type AuditEntry, GENESIS_HASH, hashEntry } from "./entry.ts";

/** Entries linked per transaction: a backlog is worked off in bounded steps. */
const BATCH = 1000;
/** How often `keyhold serve` links what requests recorded (src/server.ts). */
export const CHAIN_EVERY_MS = 250;

/**
 * Moves a workspace's recorded entries onto its chain, oldest first: each gets the next seq,
 * the previous entry's hash and its own (entry.ts). The chain's head row is locked for the
 * transaction, so two chainers (two instances, or a read beside the periodic run) never fork
 * it; one waits and then finds nothing left. Returns how many entries it linked.
 */
export async function chainPending(db: Database, workspaceId: string): Promise<number> {
  let linked = 0;
  for (;;) {
    const n = await db.transaction(async (tx) => {
      await tx.insert(auditHeads).values({ workspaceId, seq: 0, hash: GENESIS_HASH }).onConflictDoNothing();
      const [head] = await tx.select().from(auditHeads).where(eq(auditHeads.workspaceId, workspaceId)).for("update");
      const oldest = tx
        .select({ id: auditPending.id })
        .from(auditPending)
        .where(eq(auditPending.workspaceId, workspaceId))
        .orderBy(asc(auditPending.at), asc(auditPending.id))
        .limit(BATCH);
      const taken = await tx.delete(auditPending).where(and(eq(auditPending.workspaceId, workspaceId), inArray(auditPending.id, oldest))).returning();
      if (taken.length === 0) return 0;
      taken.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
      let { seq, hash: prevHash } = head!;
      const entries: AuditEntry[] = taken.map((p) => {
        const unhashed = { ...p, prevHash };
        const entry = { ...unhashed, seq: ++seq, hash: hashEntry(unhashed) };
        prevHash = entry.hash;
        return entry;
      });
      await tx.insert(auditLog).values(entries);
      await tx.update(auditHeads).set({ seq, hash: prevHash }).where(eq(auditHeads.workspaceId, workspaceId));
      return entries.length;
    });
    linked += n;
    if (n < BATCH) return linked;
  }
}

/** Links every workspace's recorded entries (the periodic run, and a flush at shutdown). */
export async function chainAllPending(db: Database): Promise<number> {
  const rows = await executeRows<{ workspace_id: string }>(db, sql`select distinct workspace_id from ${auditPending} limit 1000`);
  let linked = 0;
  for (const { workspace_id } of rows) linked += await chainPending(db, workspace_id);
  return linked;
}
