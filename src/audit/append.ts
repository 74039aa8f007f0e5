import { eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { auditLog, auditPending } from "../db/schema.ts";
import { newId } from "../ids.ts";
import { chainPending } from "./chain.ts";
import { type AuditEntry, storableDetails } from "./entry.ts";

export interface AuditEntryInput {
  workspaceId: string;
  /** What happened, e.g. activity.completed. */
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
 * Records an entry, inside `db`'s transaction when it is one (so it commits or rolls back with
 * what it records), without waiting for the chain: it joins the workspace's chain, in order,
 * when the chainer next runs (chain.ts: soon after, and before every read of the trail). This
 * is what requests call, so that writers of one workspace never queue on the chain's lock.
 */
export async function recordAudit(db: Database, input: AuditEntryInput): Promise<string> {
  const row = pendingRow(input);
  await db.insert(auditPending).values(row);
  return row.id;
}

/** An entry as it waits to be linked: its id, time and redacted details fixed now. */
export function pendingRow(input: AuditEntryInput): typeof auditPending.$inferInsert & { id: string } {
  return {
    id: newId("aud"),
    workspaceId: input.workspaceId,
    at: Date.now(),
    event: input.event,
    activityId: input.activityId ?? null,
    activityType: input.activityType ?? null,
    userId: input.userId ?? null,
    rootKeyId: input.rootKeyId ?? null,
    apiId: input.apiId ?? null,
    keyId: input.keyId ?? null,
    details: storableDetails(input.details),
  };
}

/** Records an entry and links it at once: the entry as it stands on the chain. */
export async function appendAudit(db: Database, input: AuditEntryInput): Promise<AuditEntry> {
  const id = await recordAudit(db, input);
  await chainPending(db, input.workspaceId);
  const [entry] = await db.select().from(auditLog).where(eq(auditLog.id, id)).limit(1);
  return entry!;
}
