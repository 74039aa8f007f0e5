import { z } from "@hono/zod-openapi";
import { deleteIdentity } from "../../identities/identities.ts";
import { rootKeyAuth } from "../auth.ts";
import type { MiddlewareHandler } from "hono";
import type { App, AppEnv } from "../env.ts";
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

/**
 * Unkey's SDK reads this operation's errors only as `application/problem+json` (its other
 * operations take `application/json`): the same envelope, under the type it expects.
 */
function errorsAsProblemJson(): MiddlewareHandler<AppEnv> {
  return async function errorsAsProblemJson(c, next) {
    await next();
    if (c.res.status >= 400 && c.res.headers.get("Content-Type")?.startsWith("application/json")) {
      c.res.headers.set("Content-Type", "application/problem+json");
    }
  };
}

export function registerV2DeleteIdentity(app: App): void {
  app.use(route.path, errorsAsProblemJson());
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    await deleteIdentity(c.get("deps").db, ctx, c.req.valid("json").identity);
    return v2Data(c, {});
  });
}
