import { z } from "@hono/zod-openapi";
import { getOverride } from "../../ratelimits/overrides.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { identifier, namespaceName, ratelimitPermission } from "../routes/ratelimit-schemas.ts";
import { v2Data } from "./envelope.ts";
import { ratelimitOverrideData, toOverrideData } from "./ratelimit-override-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "ratelimit.getOverride",
  summary: "Get a rate-limit override",
  description:
    "The override a limit call for `identifier` would apply, as Unkey's: the one set for exactly it (a pattern is found by its pattern), else the oldest matching pattern. " +
    "A root key without the permission gets the same 404 as a missing override, so it cannot learn which identifiers have one.\n\n" +
    "Permission: `ratelimit.*.read_override` or `ratelimit.<namespaceId>.read_override`.",
  permissions: [ratelimitPermission("read_override")],
  request: z.object({ namespace: namespaceName, identifier }),
  data: ratelimitOverrideData,
});

export function registerV2RatelimitGetOverride(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const override = await getOverride(c.get("deps"), ctx, { nameOrId: body.namespace }, body.identifier, { match: "matching" });
    return v2Data(c, toOverrideData(override));
  });
}
