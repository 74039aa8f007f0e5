import { createRoute, z } from "@hono/zod-openapi";
import { deleteIdentity } from "../../identities/identities.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { emptyObject, id, jsonBody, jsonResponse } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "identities.deleteIdentity",
  tags: ["v1 identities"],
  method: "post",
  path: "/v1/identities.deleteIdentity",
  ...rootKeyRequired({ anyOf: ["identity.*.delete_identity", "identity.<identityId>.delete_identity"] }),
  description:
    "Deletes an identity, as Unkey does: its keys stay and keep verifying, without it (no `ownerId`, no identity meta or shared limits).\n\n" +
    "Permission: `identity.*.delete_identity` or `identity.<identityId>.delete_identity`.",
  request: jsonBody(z.object({ identityId: id("id_1Ghu6Y2kQ7xW3nZ8rT5vLp") })),
  responses: { ...jsonResponse(emptyObject, "Deleted."), ...errorResponses },
});

export function registerDeleteIdentity(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    await deleteIdentity(c.get("deps").db, ctx, { identityId: c.req.valid("json").identityId });
    return c.json({}, 200);
  });
}
