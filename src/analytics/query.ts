import { type SQL, and, eq, inArray, isNull, sql } from "drizzle-orm";
import { findApi } from "../apis/apis.ts";
import { type ApiAction, apiPermission, hasPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { executeRows } from "../db/execute-rows.ts";
import { apis, identities, keys } from "../db/schema.ts";
import { findIdentity } from "../identities/identities.ts";
import { KeyholdError, notFound } from "../errors.ts";
import { DAY_MS } from "./partitions.ts";

/**
 * Reading the counts back (v1 analytics.getVerifications, v2's structured equivalent,
 * v1 keys.getVerifications). Every query is built here from fixed fragments and bound
 * values: nothing a client sends is ever SQL. Counts come from both tables at once (minute
 * buckets of the last days, hour buckets before): a count is in exactly one of them, so
 * the sums are exact whatever has been rolled up.
 */

export const GROUP_BY = ["key", "identity", "tags", "tag", "month", "day", "hour"] as const;
export type GroupBy = (typeof GROUP_BY)[number];
export const ORDER_BY = ["time", "valid", "notFound", "forbidden", "usageExceeded", "rateLimited", "unauthorized", "disabled", "insufficientPermissions", "expired", "total"] as const;
export type OrderBy = (typeof ORDER_BY)[number];
/** Most rows one answer holds (also the default limit). */
export const MAX_ANALYTICS_ROWS = 10_000;

export interface VerificationQuery {
  /** v1: required; v2: optional (every API the root key may read). */
  apiId?: string;
  keyIds?: string[];
  /** Only verifications whose tags include all of these. */
  tags?: string[];
  externalId?: string;
  start?: number;
  end?: number;
  groupBy?: GroupBy[];
  limit?: number;
  orderBy?: OrderBy;
  order?: "asc" | "desc";
}

export interface VerificationRow {
  time?: number;
  valid: number;
  notFound: number;
  forbidden: number;
  usageExceeded: number;
  rateLimited: number;
  unauthorized: number;
  disabled: number;
  insufficientPermissions: number;
  expired: number;
  total: number;
  keyId?: string;
  tag?: string;
  tags?: string[];
  identity?: { id: string; externalId: string };
}

/** Which permission reads analytics: Unkey v1 used read_api, Unkey v2 read_analytics. */
export interface AnalyticsAccess {
  action: Extract<ApiAction, "read_api" | "read_analytics">;
}

const OUTCOME_COLUMNS: [keyof VerificationRow, string][] = [
  ["valid", "VALID"],
  ["forbidden", "FORBIDDEN"],
  ["usageExceeded", "USAGE_EXCEEDED"],
  ["rateLimited", "RATE_LIMITED"],
  ["disabled", "DISABLED"],
  ["insufficientPermissions", "INSUFFICIENT_PERMISSIONS"],
  ["expired", "EXPIRED"],
];

const HOUR_MS = 3_600_000;
type Granularity = "hour" | "day" | "month";

/** A bucket's start at this granularity, in SQL over the column `time` (UTC). */
function bucket(granularity: Granularity): SQL {
  // Constants inlined, not bound: GROUP BY must see the very expression the SELECT has.
  if (granularity === "hour") return sql.raw(`(c.time / ${HOUR_MS}) * ${HOUR_MS}`);
  if (granularity === "day") return sql.raw(`(c.time / ${DAY_MS}) * ${DAY_MS}`);
  return sql`(extract(epoch from date_trunc('month', to_timestamp(c.time / 1000.0) at time zone 'UTC')) * 1000)::bigint`;
}

/** The same truncation in JS, for the start of the range. */
export function truncate(t: number, granularity: Granularity): number {
  if (granularity === "hour") return Math.floor(t / HOUR_MS) * HOUR_MS;
  if (granularity === "day") return Math.floor(t / DAY_MS) * DAY_MS;
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/**
 * The APIs the caller may read the counts of: the one asked for (v1: NOT_FOUND when it is
 * not the workspace's; v2: none, so another workspace's API reads exactly like a missing
 * one, an API without verifications, before any permission check), or
 * with no apiId every live API of the workspace the root key holds the permission for.
 */
async function readableApis(db: Database, ctx: RootKeyContext, apiId: string | undefined, access: AnalyticsAccess, missingApi: "notFound" | "empty"): Promise<string[]> {
  const wildcard = apiPermission("*", access.action);
  if (apiId !== undefined) {
    const api = await findApi(db, ctx.workspaceId, apiId).catch((error: unknown) => {
      // v2 declares no 404: an API that is not the workspace's reads as one without verifications, whatever the root key holds.
      if (missingApi === "empty" && error instanceof KeyholdError && error.code === "NOT_FOUND") return null;
      throw error;
    });
    if (!api) return [];
    requirePermission(ctx, apiPermission(api.id, access.action));
    return [api.id];
  }
  const all = hasPermission(ctx.permissions, wildcard);
  const named = ctx.permissions.flatMap((p) => {
    const parts = p.split(".");
    return parts.length === 3 && parts[0] === "api" && parts[2] === access.action && parts[1] !== "*" ? [parts[1]!] : [];
  });
  if (!all && named.length === 0) requirePermission(ctx, wildcard);
  // The workspace's live APIs among them: a deleted API's counts are not read, nor ids of other workspaces.
  const live = await db
    .select({ id: apis.id })
    .from(apis)
    .where(and(eq(apis.workspaceId, ctx.workspaceId), isNull(apis.deletedAt), all ? undefined : inArray(apis.id, named)));
  return live.map((a) => a.id);
}

export async function getVerifications(
  db: Database,
  ctx: RootKeyContext,
  query: VerificationQuery,
  access: AnalyticsAccess,
  options: { missingApi: "notFound" | "empty"; now?: number },
): Promise<VerificationRow[]> {
  const now = options.now ?? Date.now();
  const groupBy = new Set(query.groupBy ?? []);
  if (groupBy.has("tag") && groupBy.has("tags")) throw new KeyholdError("BAD_REQUEST", "groupBy: tag and tags cannot be combined (one row per tag, or one per tag set).");
  const granularity: Granularity | null = groupBy.has("month") ? "month" : groupBy.has("day") ? "day" : groupBy.has("hour") ? "hour" : null;
  const end = query.end ?? now;
  if ((query.start ?? 0) >= end) throw new KeyholdError("BAD_REQUEST", "start must be before end.");
  const start = truncate(query.start ?? 0, granularity ?? "hour");
  // None readable (v2: an API not the workspace's) answers like an API without verifications.
  const apiIds = await readableApis(db, ctx, query.apiId, access, options.missingApi);
  // externalId: the keys linked to that identity now (v1: NOT_FOUND when there is none, as Unkey's; v2: no keys).
  const identityId = query.externalId === undefined ? undefined : await identityOf(db, ctx.workspaceId, query.externalId, options.missingApi);

  // The same filters on both tables, so each is pruned to the partitions of the range.
  const where = (table: "key_verifications_minute" | "key_verifications_hour") => {
    const t = sql.identifier(table);
    return sql.join(
      [
        sql`${t}.workspace_id = ${ctx.workspaceId}`,
        sql`${t}.time >= ${start}::bigint and ${t}.time <= ${end}::bigint`,
        apiIds.length === 0 ? sql`false` : sql`${t}.api_id in (${sql.join(apiIds.map((a) => sql`${a}`), sql`, `)})`,
        query.keyIds?.length ? sql`${t}.key_id in (${sql.join(query.keyIds.map((k) => sql`${k}`), sql`, `)})` : undefined,
        query.tags?.length ? sql`${t}.tags @> ${`{${query.tags.map(arrayLiteral).join(",")}}`}::text[]` : undefined,
        identityId === undefined
          ? undefined
          : identityId === null
            ? sql`false`
            : sql`${t}.key_id in (select ${keys.id} from ${keys} where ${keys.workspaceId} = ${ctx.workspaceId} and ${keys.identityId} = ${identityId})`,
      ].filter((s): s is SQL => s !== undefined),
      sql` and `,
    );
  };
  const columns = "time, key_id, outcome, tags, count";
  const source = sql`(select ${sql.raw(columns)} from key_verifications_minute where ${where("key_verifications_minute")}
    union all select ${sql.raw(columns)} from key_verifications_hour where ${where("key_verifications_hour")}) as c`;

  const select: SQL[] = OUTCOME_COLUMNS.map(([name, outcome]) => sql`coalesce(sum(c.count) filter (where c.outcome = ${outcome}), 0)::bigint as ${sql.identifier(name)}`);
  select.push(sql`coalesce(sum(c.count), 0)::bigint as "total"`);
  const group: SQL[] = [];
  if (granularity) {
    select.push(sql`${bucket(granularity)} as "time"`);
    group.push(bucket(granularity));
  }
  if (groupBy.has("key")) (select.push(sql`c.key_id as "keyId"`), group.push(sql`c.key_id`));
  if (groupBy.has("tags")) (select.push(sql`c.tags as "tags"`), group.push(sql`c.tags`));
  // groupBy identity: by the identity each key is linked to now; counts of keys without one are left out (as Unkey's).
  const joins = [
    groupBy.has("tag") ? sql` cross join lateral unnest(c.tags) as u(tag)` : sql``,
    groupBy.has("identity")
      ? sql` join ${keys} as k on k.id = c.key_id and k.workspace_id = ${ctx.workspaceId} join ${identities} as i on i.id = k.identity_id and i.workspace_id = ${ctx.workspaceId}`
      : sql``,
  ];
  const lateral = sql.join(joins, sql``);
  if (groupBy.has("identity")) (select.push(sql`i.id as "identityId", i.external_id as "identityExternalId"`), group.push(sql`i.id`, sql`i.external_id`));
  if (groupBy.has("tag")) (select.push(sql`u.tag as "tag"`), group.push(sql`u.tag`));

  const direction = query.order === "desc" ? sql`desc` : sql`asc`;
  const order: SQL[] = [];
  // notFound and unauthorized are always 0 (see toRow), and time exists only when grouped by it: nothing to sort by.
  const sortable = query.orderBy !== undefined && query.orderBy !== "notFound" && query.orderBy !== "unauthorized" && (query.orderBy !== "time" || granularity);
  if (sortable) order.push(sql`${sql.identifier(query.orderBy!)} ${direction}`);
  // Then a fixed order, so equal values and limits answer the same rows every time.
  if (granularity) order.push(sql`"time" asc`);
  if (groupBy.has("key")) order.push(sql`"keyId" asc`);
  // Byte order, whatever the database's collation: the same answer on every server.
  if (groupBy.has("tags")) order.push(sql`"tags" collate "C" asc`);
  if (groupBy.has("tag")) order.push(sql`"tag" collate "C" asc`);
  if (groupBy.has("identity")) order.push(sql`i.external_id collate "C" asc`);
  const limit = Math.min(query.limit ?? MAX_ANALYTICS_ROWS, MAX_ANALYTICS_ROWS);

  const statement = sql`select ${sql.join(select, sql`, `)} from ${source}${lateral}
    ${group.length ? sql`group by ${sql.join(group, sql`, `)}` : sql``}
    ${order.length ? sql`order by ${sql.join(order, sql`, `)}` : sql``}
    limit ${limit}`;
  const rows = await executeRows<Record<string, unknown>>(db, statement);
  return rows.map((r) => toRow(r));
}

function toRow(r: Record<string, unknown>): VerificationRow {
  const n = (v: unknown) => Number(v ?? 0);
  return {
    ...(r.time !== undefined && { time: n(r.time) }),
    valid: n(r.valid),
    notFound: 0, // a key that does not exist has no counts to file under a key
    forbidden: n(r.forbidden),
    usageExceeded: n(r.usageExceeded),
    rateLimited: n(r.rateLimited),
    unauthorized: 0, // never a verify outcome in Keyhold (a bad root key is a 401)
    disabled: n(r.disabled),
    insufficientPermissions: n(r.insufficientPermissions),
    expired: n(r.expired),
    total: n(r.total),
    ...(r.keyId !== undefined && { keyId: String(r.keyId) }),
    ...(r.tags !== undefined && { tags: r.tags as string[] }),
    ...(r.tag !== undefined && { tag: String(r.tag) }),
    ...(r.identityId !== undefined && { identity: { id: String(r.identityId), externalId: String(r.identityExternalId) } }),
  };
}

/** The live identity with this externalId; none: NOT_FOUND (v1) or null (v2, which reads it as no keys). */
async function identityOf(db: Database, workspaceId: string, externalId: string, missing: "notFound" | "empty"): Promise<string | null> {
  try {
    return (await findIdentity(db, workspaceId, { externalId })).id;
  } catch (error) {
    if (missing === "empty" && error instanceof KeyholdError && error.code === "NOT_FOUND") return null;
    throw error;
  }
}

/** One element of a text[] literal, quoted: tags may hold commas, braces and quotes. */
function arrayLiteral(tag: string): string {
  return `"${tag.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

export interface KeyUsageQuery {
  keyId?: string;
  ownerId?: string;
  start?: number;
  end?: number;
}

export interface DailyUsage {
  time: number;
  success: number;
  rateLimited: number;
  usageExceeded: number;
}

/**
 * v1 keys.getVerifications: per day, a key's (or an owner's keys') VALID, RATE_LIMITED and
 * USAGE_EXCEEDED counts, by default over the last 24 hours, as Unkey's v1 answered it: a day
 * with only other outcomes shows zeros, and no day with any of the three is an empty list.
 * The keys must be the workspace's (NOT_FOUND otherwise) and the root key must read keys
 * of every API they are in (`read_key`, as Unkey's v1).
 */
export async function getKeyUsage(db: Database, ctx: RootKeyContext, query: KeyUsageQuery, options: { now?: number } = {}): Promise<DailyUsage[]> {
  const now = options.now ?? Date.now();
  if (query.keyId === undefined && query.ownerId === undefined) throw new KeyholdError("BAD_REQUEST", "keyId or ownerId must be provided.");
  const scope = and(
    eq(keys.workspaceId, ctx.workspaceId),
    isNull(keys.deletedAt),
    isNull(apis.deletedAt),
    // v1's ownerId is the key's identity's externalId.
    query.keyId !== undefined ? eq(keys.id, query.keyId) : and(eq(identities.externalId, query.ownerId!), isNull(identities.deletedAt)),
  );
  const found = await db
    .select({ id: keys.id, apiId: keys.apiId })
    .from(keys)
    .innerJoin(apis, eq(apis.id, keys.apiId))
    .leftJoin(identities, and(eq(identities.id, keys.identityId), eq(identities.workspaceId, keys.workspaceId)))
    .where(scope);
  if (found.length === 0) throw query.keyId !== undefined ? notFound("key") : new KeyholdError("NOT_FOUND", "No keys were found to match your query.");
  for (const apiId of new Set(found.map((k) => k.apiId))) requirePermission(ctx, apiPermission(apiId, "read_key"));

  const end = query.end ?? now;
  if ((query.start ?? now - DAY_MS) >= end) throw new KeyholdError("BAD_REQUEST", "start must be before end.");
  const start = truncate(query.start ?? now - DAY_MS, "day");
  const keyIds = found.map((k) => k.id);
  const where = (t: "key_verifications_minute" | "key_verifications_hour") =>
    sql`${sql.identifier(t)}.workspace_id = ${ctx.workspaceId} and ${sql.identifier(t)}.time >= ${start}::bigint and ${sql.identifier(t)}.time <= ${end}::bigint
      and ${sql.identifier(t)}.key_id in (${sql.join(keyIds.map((k) => sql`${k}`), sql`, `)})`;
  const rows = await executeRows<Record<string, unknown>>(
    db,
    sql`select ${bucket("day")} as time,
        coalesce(sum(c.count) filter (where c.outcome = 'VALID'), 0)::bigint as success,
        coalesce(sum(c.count) filter (where c.outcome = 'RATE_LIMITED'), 0)::bigint as "rateLimited",
        coalesce(sum(c.count) filter (where c.outcome = 'USAGE_EXCEEDED'), 0)::bigint as "usageExceeded"
      from (select time, outcome, count from key_verifications_minute where ${where("key_verifications_minute")}
            union all select time, outcome, count from key_verifications_hour where ${where("key_verifications_hour")}) as c
      group by 1 order by 1`,
  );
  const days = rows.map((r) => ({ time: Number(r.time), success: Number(r.success), rateLimited: Number(r.rateLimited), usageExceeded: Number(r.usageExceeded) }));
  return days.every((d) => d.success + d.rateLimited + d.usageExceeded === 0) ? [] : days;
}
