import { createRoute, z } from "@hono/zod-openapi";
import { updateApi } from "../../apis/apis.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { emptyObject, id, jsonBody, jsonResponse, text } from "./schemas.ts";
import { apiPermission, rootKeyRequired } from "./route-security.ts";

const route = createRoute({
  operationId: "apis.updateApi",
  tags: ["apis"],
  method: "post",
  path: "/v1/apis.updateApi",
  ...rootKeyRequired(apiPermission("update_api")),
  description:
    "Renames an API or switches recovery on or off. Recovery is not retroactive: only keys created " +
    "with `recoverable: true` while it is on can be decrypted.\n\nPermission: `api.*.update_api` or `api.<apiId>.update_api`.",
  request: jsonBody(
    z
      .object({ apiId: id("api_1234"), name: text().optional(), recovery: z.object({ enabled: z.boolean() }).optional() })
      .refine((b) => b.name !== undefined || b.recovery !== undefined, { message: "nothing to update: give name or recovery" }),
  ),
  responses: { ...jsonResponse(emptyObject, "Updated."), ...errorResponses },
});

export function registerUpdateApi(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { apiId, ...changes } = c.req.valid("json");
    await updateApi(c.get("deps").db, ctx, apiId, changes);
    return c.json({}, 200);
  });
}
