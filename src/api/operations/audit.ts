import { z } from "@hono/zod-openapi";
import { listLogs } from "../../audit/list-logs.ts";
import { READ_AUDIT_LOG } from "../../auth/permissions.ts";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import type { App } from "../env.ts";
import { registerOperation } from "../operation.ts";
import { id, text, timestamp } from "../routes/schemas.ts";

/** audit.*: the workspace's audit trail (src/audit/), for a SIEM to pull, in both envelopes. */

const entrySchema = z
  .object({
    workspaceId: z.string(),
    seq: z.number(),
    id: z.string(),
    at: z.number(),
    event: z.string(),
    activityId: z.string().nullable(),
    activityType: z.string().nullable(),
    userId: z.string().nullable(),
    rootKeyId: z.string().nullable(),
    apiId: z.string().nullable(),
    keyId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi("AuditLogEntry");

export function registerAuditOperations(app: App): void {
  registerOperation(app, {
    operation: "audit.listLogs",
    summary: "List audit log entries",
    description:
      "The workspace's audit trail, oldest first (chain order), a page at a time: at most `limit` (100) and at most 1 MiB of JSON; " +
      "a `cursor` in the answer means there are more (pass it back). Filters: `event`, `activityType`, `userId` (who acted), " +
      "`rootKeyId`, `keyId`, `since` (at or after, Unix ms), `until` (before). Each entry holds `prevHash` and its `hash` " +
      "(SHA-256 of its canonical JSON without `seq` and `hash`), so the chain can be checked anywhere; `keyhold audit verify` does it.\n\n" +
      "Permission: `audit.*.read_log`.",
    permissions: [{ anyOf: [READ_AUDIT_LOG] }],
    read: true,
    request: z.object({
      event: text().optional(),
      activityType: text().optional(),
      userId: id("usr_1Ghu6Z4qWmT8xYbN3cVd2K").optional(),
      rootKeyId: id("rk_1Ghu6XbK2fQzTQJmT8WJ3c").optional(),
      keyId: id("key_1Ghu6X3CyQqZpHcnh7Zy6N").optional(),
      since: z.coerce.number().pipe(timestamp).optional(),
      until: z.coerce.number().pipe(timestamp).optional(),
      limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
      cursor: text().optional(),
    }),
    data: entrySchema,
    list: { items: "logs" },
    handle: async (input, ctx, c) => {
      const page = await listLogs(c.get("deps").db, ctx, input);
      return { items: page.logs, ...(page.cursor !== undefined && { cursor: page.cursor }) };
    },
  });
}
