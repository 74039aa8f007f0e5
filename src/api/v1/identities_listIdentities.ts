import { createRoute, z } from "@hono/zod-openapi";
import { listIdentities } from "../../identities/identities.ts";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { jsonResponse, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { toV1Identity, v1IdentityRatelimit } from "./v1-identity.ts";

const listed = z.object({ id: z.string(), externalId: z.string(), ratelimits: z.array(v1IdentityRatelimit) });

const route = createRoute({
  operationId: "identities.listIdentities",
  tags: ["v1 identities"],
  method: "get",
  path: "/v1/identities.listIdentities",
  ...rootKeyRequired({ anyOf: ["identity.*.read_identity"] }),
  description:
    "Lists the workspace's identities, oldest first, a page at a time; `cursor` in the answer fetches the next page. " +
    "Keyhold's identities all live in Unkey's `default` environment: another `environment` lists none.\n\n" +
    "Permission: `identity.*.read_identity`.",
  request: {
    query: z.object({
      environment: text().optional(),
      limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
      cursor: text().optional(),
    }),
  },
  responses: {
    ...jsonResponse(z.object({ identities: z.array(listed), cursor: z.string().optional(), total: z.number() }), "A page of identities."),
    ...errorResponses,
  },
});

export function registerListIdentities(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { environment, limit, cursor } = c.req.valid("query");
    const page = await listIdentities(c.get("deps").db, ctx, { limit, cursor });
    if (environment !== undefined && environment !== "default") return c.json({ identities: [], total: 0 }, 200); // checked after the permission
    const identities = page.identities.map((i) => {
      const { meta: _v1ListsNoMeta, ...rest } = toV1Identity(i);
      return rest;
    });
    return c.json({ identities, ...(page.cursor !== undefined && { cursor: page.cursor }), total: page.total }, 200);
  });
}
