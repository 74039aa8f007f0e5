import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ZodObject, ZodType } from "zod";
import { type RootKeyContext } from "../auth/root-key-auth.ts";
import { rootKeyAuth } from "./auth.ts";
import type { App, AppEnv } from "./env.ts";
import { errorResponses } from "./errors.ts";
import { requireJsonBody } from "./middleware/require-json-body.ts";
import { jsonBody, jsonResponse } from "./routes/schemas.ts";
import { type PermissionRule, rootKeyRequired } from "./routes/route-security.ts";
import { v2Data, v2ErrorResponses, v2Page } from "./v2/envelope.ts";

/**
 * One definition, both API versions: Keyhold's own operations (those Unkey never had: users,
 * policies, activities, escrow, audit) are served as `/v1/<group>.<action>` in v1's envelope and
 * `/v2/<group>.<action>` in v2's, from one schema and one handler. v1 reads are GETs with the
 * fields as query parameters (as v1's reads are); everything else is a POST with a JSON body.
 *
 * The handler gets the validated input and the caller's root key and returns the data (for a
 * list, the items and the next cursor); the envelope is this file's business.
 */
export interface OperationSpec<Req extends ZodObject, Data extends ZodType> {
  operation: `${string}.${string}`;
  summary: string;
  description: string;
  permissions: PermissionRule[];
  /** For a read: its fields must parse from strings too (use z.coerce for numbers, `queryBoolean`). */
  read?: boolean;
  request: Req;
  /** The data; for a list, the schema of one item and `list` names v1's array field. */
  data: Data;
  list?: { items: string };
  extraErrors?: (412 | 409)[];
  handle: (input: z.infer<Req>, ctx: RootKeyContext, c: Context<AppEnv>) => Promise<OperationResult<Data>>;
}

export type OperationResult<Data extends ZodType> = z.infer<Data> | ListResult<z.infer<Data>>;
export interface ListResult<T> {
  items: T[];
  cursor?: string;
}

export function registerOperation<Req extends ZodObject, Data extends ZodType>(app: App, spec: OperationSpec<Req, Data>): void {
  const [group] = spec.operation.split(".");
  const common = {
    summary: spec.summary,
    description: spec.description,
    ...rootKeyRequired(...spec.permissions),
  };

  // v1: the data as the body (a list as `{<items>: [...], cursor?}`), v1's error envelope.
  const v1Data = spec.list ? z.object({ [spec.list.items]: z.array(spec.data), cursor: z.string().optional() }) : spec.data;
  const v1 = createRoute({
    operationId: spec.operation,
    tags: [`v1 ${group}`],
    method: spec.read ? "get" : "post",
    path: `/v1/${spec.operation}`,
    ...common,
    request: spec.read ? { query: spec.request } : jsonBody(spec.request),
    responses: { ...jsonResponse(v1Data, spec.summary), ...errorResponses },
  });
  app.openapi(v1, async (c) => {
    const input = (spec.read ? c.req.valid("query" as never) : c.req.valid("json" as never)) as z.infer<Req>;
    const result = await spec.handle(input, await rootKeyAuth(c), c);
    if (!spec.list) return c.json(result as object, 200);
    const { items, cursor } = result as ListResult<unknown>;
    return c.json({ [spec.list.items]: items, ...(cursor !== undefined && { cursor }) }, 200);
  });

  // v2: `{meta, data}` (lists add `pagination`), v2's error envelope.
  const v2 = createRoute({
    operationId: `v2.${spec.operation}`,
    tags: [`v2 ${group}`],
    method: "post",
    path: `/v2/${spec.operation}`,
    ...common,
    request: jsonBody(spec.request),
    responses: {
      ...jsonResponse(
        z.object({ meta: z.object({ requestId: z.string() }), data: spec.list ? z.array(spec.data) : spec.data, ...(spec.list && { pagination: z.object({ cursor: z.string().optional(), hasMore: z.boolean() }) }) }),
        spec.summary,
      ),
      ...v2ErrorResponses(...(spec.extraErrors ?? [])),
    },
  });
  // A body whose fields are all optional still has to be JSON (see require-json-body.ts).
  app.use(v2.path, requireJsonBody());
  app.openapi(v2, async (c) => {
    const result = await spec.handle(c.req.valid("json" as never) as z.infer<Req>, await rootKeyAuth(c), c);
    if (!spec.list) return v2Data(c, result);
    const { items, cursor } = result as ListResult<unknown>;
    return v2Page(c, items, { cursor });
  });
}
