import { createRoute, z } from "@hono/zod-openapi";
import { getIdentity } from "../../identities/identities.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { id, jsonResponse, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { toV1Identity, v1Identity } from "./v1-identity.ts";

const route = createRoute({
  operationId: "identities.getIdentity",
  tags: ["v1 identities"],
  method: "get",
  path: "/v1/identities.getIdentity",
  ...rootKeyRequired({ anyOf: ["identity.*.read_identity", "identity.<identityId>.read_identity"] }),
  description:
    "Reads an identity by `identityId` or `externalId` (`identityId` wins when both are sent).\n\n" +
    "Permission: `identity.*.read_identity` or `identity.<identityId>.read_identity`.",
  request: { query: z.object({ identityId: id("id_1Ghu6Y2kQ7xW3nZ8rT5vLp").optional(), externalId: text().optional() }) },
  responses: { ...jsonResponse(v1Identity, "The identity."), ...errorResponses },
});

export function registerGetIdentity(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return c.json(toV1Identity(await getIdentity(c.get("deps").db, ctx, c.req.valid("query"))), 200);
  });
}
