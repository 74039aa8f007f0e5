import { type RouteConfig, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ZodType } from "zod";
import type { ErrorCode } from "../../errors.ts";
import type { AppEnv } from "../env.ts";

/**
 * Unkey v2's envelopes. Success: `{meta: {requestId}, data}` (lists add `pagination`);
 * errors: `{meta, error: {title, detail, status, type, errors?}}`, with `errors` on every
 * 400. The same KeyholdError codes as v1, rendered in v2's shape by errorResponse (errors.ts):
 * v2 routes never format an error themselves.
 */
export const V2_PREFIX = "/v2/";

export const isV2 = (c: Context<AppEnv>): boolean => c.req.path.startsWith(V2_PREFIX);

const meta = z.object({ requestId: z.string().openapi({ example: "req_4dgzrNP3Je5mU1tmX8uLbd" }) }).openapi("V2Meta");
const pagination = z.object({ cursor: z.string().optional(), hasMore: z.boolean() }).openapi("V2Pagination");

export function v2Data(c: Context<AppEnv>, data: unknown) {
  return c.json({ meta: { requestId: c.get("requestId") }, data }, 200);
}

export function v2Page(c: Context<AppEnv>, data: unknown[], next: { cursor?: string }) {
  const page = { hasMore: next.cursor !== undefined, ...(next.cursor !== undefined && { cursor: next.cursor }) };
  return c.json({ meta: { requestId: c.get("requestId") }, data, pagination: page }, 200);
}

/**
 * How each Keyhold code answers in v2: only statuses v2 declares. What v1 answers 413 or 503
 * answers as Unkey does for it: a too-large body is a 400 (v2 declares no 413 for these
 * operations), an unreachable dependency (the vault) a 500 whose `type` says which.
 */
const v2Status: Record<ErrorCode, { status: number; title: string }> = {
  BAD_REQUEST: { status: 400, title: "Bad Request" },
  PAYLOAD_TOO_LARGE: { status: 400, title: "Request Entity Too Large" },
  UNAUTHORIZED: { status: 401, title: "Unauthorized" },
  FORBIDDEN: { status: 403, title: "Forbidden" },
  INSUFFICIENT_PERMISSIONS: { status: 403, title: "Insufficient Permissions" },
  NOT_FOUND: { status: 404, title: "Not Found" },
  CONFLICT: { status: 409, title: "Conflicting Resource" },
  PRECONDITION_FAILED: { status: 412, title: "Precondition Failed" },
  TOO_MANY_REQUESTS: { status: 429, title: "Too Many Requests" },
  INTERNAL_SERVER_ERROR: { status: 500, title: "Internal Server Error" },
  SERVICE_UNAVAILABLE: { status: 500, title: "Service Unavailable" },
};

/** One entry of a 400's `errors`: where in the request, what is wrong, and how to fix it. */
export interface V2FieldError {
  location: string;
  message: string;
  fix?: string;
}

export function v2ErrorStatus(code: ErrorCode): number {
  return v2Status[code].status;
}

export function v2ErrorBody(code: ErrorCode, detail: string, requestId: string, errors?: V2FieldError[]) {
  const { status, title } = v2Status[code];
  // `type` links Keyhold's own page for the code, as v1's `docs` does (relative: see errors.ts).
  const error = { title, detail, status, type: `/docs/errors#${code}` };
  return { meta: { requestId }, error: status === 400 ? { ...error, errors: errors ?? [{ location: "body", message: detail }] } : error };
}

const baseError = z.object({ title: z.string(), detail: z.string(), status: z.number().int(), type: z.string() });
const badRequest = z
  .object({ meta, error: baseError.extend({ errors: z.array(z.object({ location: z.string(), message: z.string(), fix: z.string().optional() })) }) })
  .openapi("V2BadRequestError");
const otherError = z.object({ meta, error: baseError }).openapi("V2Error");

function errorResponse(status: number) {
  const codes = (Object.keys(v2Status) as ErrorCode[]).filter((code) => v2Status[code].status === status);
  return { description: codes.join(" or "), content: { "application/json": { schema: status === 400 ? badRequest : otherError } } };
}

/** The errors an operation declares: v2's set for key operations, plus any extra (412 for createKey). */
export function v2ErrorResponses(...extra: (412 | 409)[]) {
  const statuses = [400, 401, 403, 404, 429, 500, ...extra].sort();
  return Object.fromEntries(statuses.map((s) => [s, errorResponse(s)]));
}

/** `{meta, data}` around a route's data schema; `list` adds pagination. */
export function v2Response(data: ZodType, description: string, options: { list?: boolean } = {}): RouteConfig["responses"] {
  const body = options.list ? z.object({ meta, data, pagination }) : z.object({ meta, data });
  return { 200: { description, content: { "application/json": { schema: body } } } };
}

/** The `errors` of a 400 from a schema failure: one per problem, at its place in the body. */
export function zodFieldErrors(issues: readonly { path: PropertyKey[]; message: string }[]): V2FieldError[] {
  return issues.slice(0, 20).map((issue) => ({
    location: ["body", ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
}
