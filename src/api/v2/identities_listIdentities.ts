import { z } from "@hono/zod-openapi";
import { listIdentities } from "../../identities/identities.ts";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import { rootKeyAuth } from "../auth.ts";
import { requireJsonBody } from "../middleware/require-json-body.ts";
import type { App } from "../env.ts";
import { text } from "../routes/schemas.ts";
import { v2Page } from "./envelope.ts";
import { identityData, toIdentityData } from "./key-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "identities.listIdentities",
  summary: "List identities",
  description:
    "Lists the workspace's identities, oldest first, a page at a time (at most `limit`, fewer when their meta is large); " +
    "`pagination.cursor` fetches the next page while `hasMore`. `search` keeps those whose id or externalId contains it (any case).\n\n" +
    "Permission: `identity.*.read_identity`.",
  permissions: [{ anyOf: ["identity.*.read_identity"] }],
  request: z.object({
    limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
    cursor: text().optional(),
    search: text(256).optional(),
  }),
  data: z.array(identityData),
  list: true,
});

export function registerV2ListIdentities(app: App): void {
  app.use(route.path, requireJsonBody());
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const page = await listIdentities(c.get("deps").db, ctx, c.req.valid("json"));
    return v2Page(c, page.identities.map((i) => toIdentityData(i)), { cursor: page.cursor });
  });
}
