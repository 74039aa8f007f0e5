import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { auditHeads, auditLog } from "../db/schema.ts";
import { newId } from "../ids.ts";
import { type AuditEntry, GENESIS_HASH, hashEntry, storableDetails } from "./entry.ts";

export interface AuditEntryInput {
  workspaceId: string;
  /** What happened, e.g. CREATE_USER or activity.completed. */
  event: string;
  activityId?: string;
  activityType?: string;
  /** The user who acted (the calling root key's user). */
  userId?: string;
  rootKeyId?: string;
  apiId?: string;
  keyId?: string;
  /**
   * What else an auditor needs. Never a secret (no key, plaintext, private key, DEK): fields
   * named like one are stored as "[redacted]" all the same (entry.ts), but redact params before.
   */
  details?: Record<string, unknown>;
}

/**
 * Appends an entry to its workspace's chain, inside `db`'s transaction when it is one (so the
 * entry commits or rolls back with what it records). The chain head's row is locked by the
 * upsert until that transaction ends: appends of one workspace are serialized, so concurrent
 * writers never fork the chain; other workspaces' appends do not wait.
 */
export async function appendAudit(db: Database, input: AuditEntryInput): Promise<AuditEntry> {
  return db.transaction(async (tx) => {
    // The new seq and the previous hash in one statement that also takes the head's row lock.
    const [head] = await tx
      .insert(auditHeads)
      .values({ workspaceId: input.workspaceId, seq: 1, hash: GENESIS_HASH })
      .onConflictDoUpdate({ target: auditHeads.workspaceId, set: { seq: sql`${auditHeads.seq} + 1` } })
      .returning({ seq: auditHeads.seq, prevHash: auditHeads.hash });
    const unhashed = {
      workspaceId: input.workspaceId,
      id: newId("aud"),
      at: Date.now(),
      event: input.event,
      activityId: input.activityId ?? null,
      activityType: input.activityType ?? null,
      userId: input.userId ?? null,
      rootKeyId: input.rootKeyId ?? null,
      apiId: input.apiId ?? null,
      keyId: input.keyId ?? null,
      details: storableDetails(input.details),
      prevHash: head!.prevHash,
    };
    const entry: AuditEntry = { ...unhashed, seq: head!.seq, hash: hashEntry(unhashed) };
    await tx.insert(auditLog).values(entry);
    await tx.update(auditHeads).set({ hash: entry.hash }).where(eq(auditHeads.workspaceId, input.workspaceId));
    return entry;
  });
}
