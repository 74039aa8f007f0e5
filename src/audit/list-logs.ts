import { and, asc, eq, gt, gte, lt } from "drizzle-orm";
import { READ_AUDIT_LOG } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { jsonByteLength } from "../keys/storable.ts";
import { MAX_LIST_LIMIT, cutByBytes } from "../paging.ts";
import { chainPending } from "./chain.ts";
import type { AuditEntry } from "./entry.ts";

export interface ListLogsInput {
  event?: string;
  activityType?: string;
  userId?: string;
  rootKeyId?: string;
  keyId?: string;
  /** Entries at or after this time (Unix ms). */
  since?: number;
  /** Entries before this time (Unix ms). */
  until?: number;
  limit?: number;
  cursor?: string;
}

/** A cursor is the seq of the last entry of the previous page, as decimal text. */
function afterSeq(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  if (!/^\d{1,15}$/.test(cursor)) throw new KeyholdError("BAD_REQUEST", "cursor: not a cursor this list gave.");
  return Number(cursor);
}

/**
 * A page of the caller's workspace's audit trail, oldest first (chain order): at most `limit`
 * (100) entries and at most MAX_PAGE_BYTES of JSON; `cursor` continues it. Filters on ids
 * that are not the workspace's simply match nothing: the trail also names things since deleted.
 */
export async function listLogs(db: Database, ctx: RootKeyContext, input: ListLogsInput): Promise<{ logs: AuditEntry[]; cursor?: string }> {
  requirePermission(ctx, READ_AUDIT_LOG);
  const after = afterSeq(input.cursor);
  // What requests recorded a moment ago is linked first: a reader sees every entry so far.
  await chainPending(db, ctx.workspaceId);
  const limit = input.limit ?? MAX_LIST_LIMIT;
  const rows = await db
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.workspaceId, ctx.workspaceId),
        after !== undefined ? gt(auditLog.seq, after) : undefined,
        input.event !== undefined ? eq(auditLog.event, input.event) : undefined,
        input.activityType !== undefined ? eq(auditLog.activityType, input.activityType) : undefined,
        input.userId !== undefined ? eq(auditLog.userId, input.userId) : undefined,
        input.rootKeyId !== undefined ? eq(auditLog.rootKeyId, input.rootKeyId) : undefined,
        input.keyId !== undefined ? eq(auditLog.keyId, input.keyId) : undefined,
        input.since !== undefined ? gte(auditLog.at, input.since) : undefined,
        input.until !== undefined ? lt(auditLog.at, input.until) : undefined,
      ),
    )
    .orderBy(asc(auditLog.seq))
    .limit(limit + 1);
  const page = cutByBytes(rows.slice(0, limit), jsonByteLength);
  return { logs: page, ...(rows.length > page.length && { cursor: String(page.at(-1)!.seq) }) };
}
