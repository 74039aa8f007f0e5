import { createRoute, z } from "@hono/zod-openapi";
import { updateIdentity } from "../../identities/identities.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { id, jsonBody, jsonResponse, meta, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { toV1Identity, v1Identity, v1IdentityRatelimits } from "./v1-identity.ts";

const route = createRoute({
  operationId: "identities.updateIdentity",
  tags: ["v1 identities"],
  method: "post",
  path: "/v1/identities.updateIdentity",
  ...rootKeyRequired({ anyOf: ["identity.*.update_identity", "identity.<identityId>.update_identity"] }),
  description:
    "Replaces an identity's meta (`{}` clears it) and/or all its rate limits (`[]` removes them), named by `identityId` or " +
    "`externalId` (`identityId` wins). Every key of it sees the change at its next verification, on every instance.\n\n" +
    "Permission: `identity.*.update_identity` or `identity.<identityId>.update_identity`.",
  request: jsonBody(
    z.object({
      identityId: id("id_1Ghu6Y2kQ7xW3nZ8rT5vLp").optional(),
      externalId: text().optional(),
      environment: text().optional().openapi({ description: "Accepted for Unkey's clients; Keyhold's identities have none." }),
      meta: meta.optional(),
      ratelimits: v1IdentityRatelimits.optional(),
    }),
  ),
  responses: { ...jsonResponse(v1Identity, "The identity after the update."), ...errorResponses },
});

export function registerUpdateIdentity(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { identityId, externalId, meta: newMeta, ratelimits } = c.req.valid("json");
    const view = await updateIdentity(c.get("deps").db, ctx, { identityId, externalId }, { meta: newMeta, ratelimits });
    return c.json(toV1Identity(view), 200);
  });
}
