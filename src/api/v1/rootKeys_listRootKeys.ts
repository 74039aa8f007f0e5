import { createRoute, z } from "@hono/zod-openapi";
import { listRootKeys } from "../../auth/root-keys.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import { jsonResponse, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";

const rootKeySchema = z
  .object({
    id: z.string(),
    userId: z.string().openapi({ description: "The user the root key belongs to." }),
    name: z.string().optional(),
    start: z.string(),
    permissions: z.array(z.string()),
    createdAt: z.number(),
    expires: z.number().optional(),
  })
  .openapi("RootKey");

const route = createRoute({
  operationId: "rootKeys.listRootKeys",
  tags: ["v1 rootKeys"],
  method: "get",
  path: "/v1/rootKeys.listRootKeys",
  ...rootKeyRequired({ anyOf: ["rbac.*.read_root_key"] }),
  description:
    "Lists the workspace's live root keys in id order, a page at a time: at most `limit` (100) and at most 1 MiB of JSON; " +
    "`cursor` in the answer means there are more (pass it back). Never returns a secret.\n\nPermission: `rbac.*.read_root_key`.",
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
      cursor: text().optional(),
    }),
  },
  responses: { ...jsonResponse(z.object({ rootKeys: z.array(rootKeySchema), cursor: z.string().optional() }), "A page of root keys."), ...errorResponses },
});

export function registerListRootKeys(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const q = c.req.valid("query");
    return c.json(await listRootKeys(c.get("deps").db, ctx, { limit: q.limit, cursor: q.cursor }), 200);
  });
}
