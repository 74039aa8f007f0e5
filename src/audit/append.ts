import { sql } from "drizzle-orm";
import { executeRows } from "../db/execute-rows.ts";
import type { Database } from "../db/client.ts";
import { auditHeads, auditLog } from "../db/schema.ts";
import { newId } from "../ids.ts";
import { type AuditEntry, GENESIS_HASH, entryContent, hashEntry, storableDetails } from "./entry.ts";

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
 * Appends an entry to its workspace's chain in one statement, inside `db`'s transaction when it
 * is one (so the entry commits or rolls back with what it records). The statement takes the
 * chain head's row (its lock serializes the appends of one workspace, so the chain never forks;
 * other workspaces do not wait), finishes the hash there from the head's last hash, and inserts
 * the entry: one round trip, and the lock is held no longer than the writer's transaction.
 */
export async function appendAudit(db: Database, input: AuditEntryInput): Promise<AuditEntry> {
  const unlinked = {
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
  };
  const content = entryContent(unlinked);
  const first = hashEntry({ ...unlinked, prevHash: GENESIS_HASH });
  const [row] = await executeRows<{ seq: string | number; prev_hash: string; hash: string }>(
    db,
    sql`WITH head AS (
      INSERT INTO ${auditHeads} (workspace_id, seq, prev_hash, hash) VALUES (${input.workspaceId}, 1, ${GENESIS_HASH}, ${first})
      ON CONFLICT (workspace_id) DO UPDATE SET
        seq = ${auditHeads}.seq + 1,
        prev_hash = ${auditHeads}.hash,
        hash = encode(sha256(convert_to(${content} || ${auditHeads}.hash, 'UTF8')), 'hex')
      RETURNING seq, prev_hash, hash
    )
    INSERT INTO ${auditLog} (workspace_id, seq, id, at, event, activity_id, activity_type, user_id, root_key_id, api_id, key_id, details, prev_hash, hash)
    SELECT ${unlinked.workspaceId}, head.seq, ${unlinked.id}, ${unlinked.at}, ${unlinked.event}, ${unlinked.activityId}, ${unlinked.activityType},
      ${unlinked.userId}, ${unlinked.rootKeyId}, ${unlinked.apiId}, ${unlinked.keyId}, ${JSON.stringify(unlinked.details)}::jsonb, head.prev_hash, head.hash
    FROM head
    RETURNING seq, prev_hash, hash`,
  );
  return { ...unlinked, seq: Number(row!.seq), prevHash: row!.prev_hash, hash: row!.hash };
}
