import { z } from "@hono/zod-openapi";
import { updateIdentity } from "../../identities/identities.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { meta } from "../routes/schemas.ts";
import { v2Data } from "./envelope.ts";
import { identityRatelimits, identityRef } from "./identity-fields.ts";
import { identityData, toIdentityData } from "./key-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "identities.updateIdentity",
  summary: "Update an identity",
  description:
    "Replaces an identity's meta and/or its whole list of rate limits (a field left out stays; `ratelimits: []` removes them all; " +
    "a limit kept by name keeps its id, and its counter unless its duration changed). Every key of the identity sees the change " +
    "at its next verification, on every instance.\n\n" +
    "Permission: `identity.*.update_identity` or `identity.<identityId>.update_identity`.",
  permissions: [{ anyOf: ["identity.*.update_identity", "identity.<identityId>.update_identity"] }],
  request: z.object({ identity: identityRef, meta: meta.optional(), ratelimits: identityRatelimits.optional() }),
  data: identityData,
});

export function registerV2UpdateIdentity(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { identity, ...changes } = c.req.valid("json");
    return v2Data(c, toIdentityData(await updateIdentity(c.get("deps").db, ctx, identity, changes)));
  });
}
