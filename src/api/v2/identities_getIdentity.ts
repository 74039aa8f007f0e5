import { z } from "@hono/zod-openapi";
import { getIdentity } from "../../identities/identities.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { v2Data } from "./envelope.ts";
import { identityRef } from "./identity-fields.ts";
import { identityData, toIdentityData } from "./key-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "identities.getIdentity",
  summary: "Get an identity",
  description:
    "Reads an identity, named by its id or its externalId: its meta and shared rate limits.\n\n" +
    "Permission: `identity.*.read_identity` or `identity.<identityId>.read_identity`.",
  permissions: [{ anyOf: ["identity.*.read_identity", "identity.<identityId>.read_identity"] }],
  request: z.object({ identity: identityRef }),
  data: identityData,
});

export function registerV2GetIdentity(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return v2Data(c, toIdentityData(await getIdentity(c.get("deps").db, ctx, c.req.valid("json").identity)));
  });
}
