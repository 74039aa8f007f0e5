import { createRoute, z } from "@hono/zod-openapi";
import { createIdentity } from "../../identities/identities.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { jsonBody, jsonResponse, meta, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { v1IdentityRatelimits } from "./v1-identity.ts";

const route = createRoute({
  operationId: "identities.createIdentity",
  tags: ["v1 identities"],
  method: "post",
  path: "/v1/identities.createIdentity",
  ...rootKeyRequired({ anyOf: ["identity.*.create_identity"] }),
  description:
    "Creates an identity: your id for a customer (`externalId`, unique in the workspace: a second one is a 409), meta returned " +
    "when its keys are verified, and rate limits all its keys share (counted when a verify names them). Keys join it through `ownerId`.\n\n" +
    "Permission: `identity.*.create_identity`.",
  request: jsonBody(z.object({ externalId: text().openapi({ example: "user_123" }), meta: meta.optional(), ratelimits: v1IdentityRatelimits.optional() })),
  responses: { ...jsonResponse(z.object({ identityId: z.string() }), "The new identity's id."), ...errorResponses },
});

export function registerCreateIdentity(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return c.json(await createIdentity(c.get("deps").db, ctx, c.req.valid("json")), 200);
  });
}
