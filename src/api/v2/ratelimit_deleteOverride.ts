import { z } from "@hono/zod-openapi";
import { deleteOverride } from "../../ratelimits/overrides.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { identifier, namespaceName, ratelimitPermission } from "../routes/ratelimit-schemas.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "ratelimit.deleteOverride",
  summary: "Delete a rate-limit override",
  description:
    "Deletes the override set for exactly `identifier` (a pattern by its pattern, `premium_*`); limit calls get their own limit again at once, on every instance.\n\n" +
    "Permission: `ratelimit.*.delete_override` or `ratelimit.<namespaceId>.delete_override`.",
  permissions: [ratelimitPermission("delete_override")],
  request: z.object({ namespace: namespaceName, identifier }),
  data: z.object({}),
});

export function registerV2RatelimitDeleteOverride(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const { db, namespaceCache } = c.get("deps");
    await deleteOverride({ db, namespaceCache }, ctx, { nameOrId: body.namespace }, body.identifier);
    return v2Data(c, {});
  });
}
