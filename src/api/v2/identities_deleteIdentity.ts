import { z } from "@hono/zod-openapi";
import { deleteIdentity } from "../../identities/identities.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { v2Data } from "./envelope.ts";
import { identityRef } from "./identity-fields.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "identities.deleteIdentity",
  summary: "Delete an identity",
  description:
    "Deletes an identity, as Unkey does: its keys stay and keep verifying, without it (no `externalId`, no identity meta, " +
    "no shared rate limits). The externalId is free again; a key created with it later joins a new identity, the old keys do not.\n\n" +
    "Permission: `identity.*.delete_identity` or `identity.<identityId>.delete_identity`.",
  permissions: [{ anyOf: ["identity.*.delete_identity", "identity.<identityId>.delete_identity"] }],
  request: z.object({ identity: identityRef }),
  data: z.object({}),
});

export function registerV2DeleteIdentity(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    await deleteIdentity(c.get("deps").db, ctx, c.req.valid("json").identity);
    return v2Data(c, {});
  });
}
