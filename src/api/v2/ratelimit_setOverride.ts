import { z } from "@hono/zod-openapi";
import { setOverride } from "../../ratelimits/overrides.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { identifier, namespaceName, overrideLimit, ratelimitPermission, windowMs } from "../routes/ratelimit-schemas.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "ratelimit.setOverride",
  summary: "Set a rate-limit override",
  description:
    "Sets (or replaces, keeping its id) the limit and duration that limit calls for `identifier` in `namespace` (name or id) get, whatever they ask. " +
    "`*` in the identifier matches any characters: `premium_*`, `*@example.com`. An exact override beats a pattern; of several matching patterns the oldest wins. " +
    "Every instance applies it at once (its cache is told through PostgreSQL). The namespace must exist.\n\n" +
    "Permission: `ratelimit.*.set_override` or `ratelimit.<namespaceId>.set_override`.",
  permissions: [ratelimitPermission("set_override")],
  request: z.object({ namespace: namespaceName, identifier, limit: overrideLimit, duration: windowMs }),
  data: z.object({ overrideId: z.string() }),
});

export function registerV2RatelimitSetOverride(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { namespace, ...input } = c.req.valid("json");
    const { db, namespaceCache } = c.get("deps");
    return v2Data(c, await setOverride({ db, namespaceCache }, ctx, { nameOrId: namespace }, input));
  });
}
