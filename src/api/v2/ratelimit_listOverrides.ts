import { z } from "@hono/zod-openapi";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import { listOverrides } from "../../ratelimits/overrides.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { namespaceName, ratelimitPermission } from "../routes/ratelimit-schemas.ts";
import { text } from "../routes/schemas.ts";
import { v2Page } from "./envelope.ts";
import { ratelimitOverrideData, toOverrideData } from "./ratelimit-override-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "ratelimit.listOverrides",
  summary: "List a namespace's overrides",
  description:
    "A namespace's overrides, oldest first, `limit` (default 10, at most 100) a page; `pagination.cursor` fetches the next page while `hasMore`.\n\n" +
    "Permission: `ratelimit.*.read_override` or `ratelimit.<namespaceId>.read_override`.",
  permissions: [ratelimitPermission("read_override")],
  request: z.object({ namespace: namespaceName, cursor: text().optional(), limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional() }),
  data: z.array(ratelimitOverrideData),
  list: true,
});

export function registerV2RatelimitListOverrides(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const page = await listOverrides(c.get("deps"), ctx, { nameOrId: body.namespace }, { limit: body.limit ?? 10, cursor: body.cursor });
    return v2Page(c, page.overrides.map(toOverrideData), { cursor: page.cursor });
  });
}
