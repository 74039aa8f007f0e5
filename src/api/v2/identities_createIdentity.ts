import { z } from "@hono/zod-openapi";
import { createIdentity } from "../../identities/identities.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { meta, text } from "../routes/schemas.ts";
import { v2Data } from "./envelope.ts";
import { identityRatelimits } from "./identity-fields.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "identities.createIdentity",
  summary: "Create an identity",
  description:
    "Creates an identity: your own id for a customer (`externalId`, unique among the workspace's identities: a second one is a 409), " +
    "meta returned with every verification of its keys, and rate limits shared by all its keys. Keys join it through their `externalId`.\n\n" +
    "Permission: `identity.*.create_identity`.",
  permissions: [{ anyOf: ["identity.*.create_identity"] }],
  request: z.object({ externalId: text().openapi({ example: "user_123" }), meta: meta.optional(), ratelimits: identityRatelimits.optional() }),
  data: z.object({ identityId: z.string() }),
  extraErrors: [409],
});

export function registerV2CreateIdentity(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return v2Data(c, await createIdentity(c.get("deps").db, ctx, c.req.valid("json")));
  });
}
