import { createRoute, z } from "@hono/zod-openapi";
import { updateRemaining } from "../../keys/update-key.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { credits, id, jsonBody, jsonResponse } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "keys.updateRemaining",
  tags: ["v1 keys"],
  method: "post",
  path: "/v1/keys.updateRemaining",
  ...rootKeyRequired(apiPermission("update_key")),
  description:
    "Adds to, takes from or sets a key's credits, atomically with concurrent verifies. `set` with `null` makes them unlimited.\n\n" +
    "Permission: `api.*.update_key` or `api.<apiId>.update_key`.",
  request: jsonBody(z.object({ keyId: id("key_1234"), op: z.enum(["increment", "decrement", "set"]), value: credits.nullable() })),
  responses: { ...jsonResponse(z.object({ remaining: z.number().nullable() }), "The new balance."), ...errorResponses },
});

export function registerUpdateRemaining(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const body = c.req.valid("json");
    const result = await updateRemaining(c.get("deps").db, ctx, body);
    return c.json({ remaining: result.remaining }, 200);
  });
}
