import { z } from "@hono/zod-openapi";
import { GROUP_BY, MAX_ANALYTICS_ROWS, ORDER_BY, type VerificationQuery } from "../../analytics/query.ts";
import { id, text } from "./schemas.ts";

/**
 * The parameters of analytics.getVerifications, shared by v1 (GET query string) and v2
 * (the same names in a JSON body), and the rows both answer.
 */

/** Year 275760: the largest time a JavaScript Date can hold. */
const MAX_TIME = 8_640_000_000_000_000;
/** Most key ids or tags one query filters by. */
export const MAX_FILTER_VALUES = 100;

const time = z.number().int().min(0).max(MAX_TIME);
const groupBy = z.enum(GROUP_BY);

/** One or several values. In a query string: repeated, or (ids, groupBy) comma-joined, which is how the v1 SDK sends an array. */
const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).max(MAX_FILTER_VALUES)]);
const commaList = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .union([z.string(), z.array(z.string()).max(MAX_FILTER_VALUES)])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")))
    .pipe(z.array(item).max(MAX_FILTER_VALUES));

const descriptions = {
  apiId: "Only this API's keys.",
  externalId: "Only keys linked to this identity now (v1 `ownerId`, v2 `externalId`).",
  keyId: "Only these keys; their counts are summed unless `groupBy` has `key`.",
  tag: "Only verifications whose tags include every tag given.",
  start: "Unix ms; truncated to the start of its hour (its day or month when grouping by them). Default: everything kept.",
  end: "Unix ms; buckets starting at or before it are included. Default: now.",
  groupBy: "`key`, `identity` (the identity each key is linked to now; keys without one left out), `tags` (one row per tag set), `tag` (one row per tag), `hour`, `day` or `month` (UTC); several at once. Without one: a single row over the range.",
  limit: `At most this many rows (default and maximum ${MAX_ANALYTICS_ROWS}).`,
  orderBy: "Sort by this column (then by time and the groups, ascending).",
  order: "Direction of `orderBy`.",
};

export const v1AnalyticsQuery = z.object({
  apiId: id("api_1234").openapi({ description: descriptions.apiId }),
  externalId: text().optional().openapi({ description: descriptions.externalId }),
  keyId: commaList(id("key_1234")).optional().openapi({ description: descriptions.keyId, example: "key_1234" }),
  tag: z
    .union([text(512), z.array(text(512)).max(MAX_FILTER_VALUES)])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .optional()
    .openapi({ description: `${descriptions.tag} Repeat \`tag\` for several: one value is one tag, commas included.`, example: "path=/users" }),
  start: z.coerce.number().pipe(time).optional().openapi({ description: descriptions.start, example: 1767225600000 }),
  end: z.coerce.number().pipe(time).optional().openapi({ description: descriptions.end, example: 1767312000000 }),
  groupBy: commaList(groupBy).optional().openapi({ description: descriptions.groupBy, example: "day" }),
  limit: z.coerce.number().pipe(z.number().int().min(1).max(MAX_ANALYTICS_ROWS)).optional().openapi({ description: descriptions.limit }),
  orderBy: z.enum(ORDER_BY).optional().openapi({ description: descriptions.orderBy }),
  order: z.enum(["asc", "desc"]).optional().openapi({ description: descriptions.order }),
});

/** Keyhold never runs SQL a client sends: Unkey v2's `query` is refused with the structured parameters named. */
export const RAW_QUERY_REFUSED =
  "Keyhold never runs SQL sent by clients, so `query` is not accepted. Send the structured parameters instead: " +
  "apiId, externalId, keyId, tag, start, end, groupBy (key, identity, tags, tag, hour, day, month), limit, orderBy, order.";

export const v2AnalyticsBody = z.object({
  query: z
    .unknown()
    .optional()
    .refine((v) => v === undefined, { message: RAW_QUERY_REFUSED })
    .openapi({ description: "Unkey's raw SQL: always refused (400)." }),
  apiId: id("api_1234").optional().openapi({ description: `${descriptions.apiId} Default: every API the root key may read.` }),
  externalId: text().optional().openapi({ description: descriptions.externalId }),
  keyId: oneOrMany(id("key_1234")).optional().openapi({ description: descriptions.keyId }),
  tag: oneOrMany(text(512)).optional().openapi({ description: descriptions.tag }),
  start: time.optional().openapi({ description: descriptions.start }),
  end: time.optional().openapi({ description: descriptions.end }),
  groupBy: oneOrMany(groupBy).optional().openapi({ description: descriptions.groupBy }),
  limit: z.number().int().min(1).max(MAX_ANALYTICS_ROWS).optional().openapi({ description: descriptions.limit }),
  orderBy: z.enum(ORDER_BY).optional().openapi({ description: descriptions.orderBy }),
  order: z.enum(["asc", "desc"]).optional().openapi({ description: descriptions.order }),
});

const list = <T>(v: T | T[] | undefined): T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/** Either version's parameters as the service's query. */
export function toVerificationQuery(p: {
  apiId?: string;
  externalId?: string;
  keyId?: string | string[];
  tag?: string | string[];
  start?: number;
  end?: number;
  groupBy?: VerificationQuery["groupBy"] | NonNullable<VerificationQuery["groupBy"]>[number];
  limit?: number;
  orderBy?: VerificationQuery["orderBy"];
  order?: "asc" | "desc";
}): VerificationQuery {
  return {
    ...(p.apiId !== undefined && { apiId: p.apiId }),
    ...(p.externalId !== undefined && { externalId: p.externalId }),
    ...(p.keyId !== undefined && { keyIds: list(p.keyId) }),
    ...(p.tag !== undefined && { tags: list(p.tag) }),
    ...(p.start !== undefined && { start: p.start }),
    ...(p.end !== undefined && { end: p.end }),
    ...(p.groupBy !== undefined && { groupBy: list(p.groupBy) }),
    ...(p.limit !== undefined && { limit: p.limit }),
    ...(p.orderBy !== undefined && { orderBy: p.orderBy }),
    ...(p.order !== undefined && { order: p.order }),
  };
}

const count = z.number().int();
export const verificationRow = z
  .object({
    time: z.number().int().optional().openapi({ description: "Start of the bucket (Unix ms); only when grouping by hour, day or month." }),
    valid: count,
    notFound: count.openapi({ description: "Always 0: a key that does not exist has no counts to file under a key." }),
    forbidden: count,
    usageExceeded: count,
    rateLimited: count,
    unauthorized: count.openapi({ description: "Always 0: a bad root key is a 401, not a verify outcome." }),
    disabled: count,
    insufficientPermissions: count,
    expired: count,
    total: count.openapi({ description: "Every verification counted in the row, whatever its outcome." }),
    keyId: z.string().optional().openapi({ description: "With groupBy key." }),
    tag: z.string().optional().openapi({ description: "With groupBy tag." }),
    tags: z.array(z.string()).optional().openapi({ description: "With groupBy tags: the tag set, sorted." }),
    identity: z.object({ id: z.string(), externalId: z.string() }).optional().openapi({ description: "With groupBy identity." }),
  })
  .openapi("VerificationCounts");
