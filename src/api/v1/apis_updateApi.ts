import { createRoute, z } from "@hono/zod-openapi";
import { updateApi } from "../../apis/apis.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { id, jsonBody, jsonResponse, text } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired } from "../routes/route-security.ts";

const recovery = z.object({
  enabled: z.boolean(),
  purge: z.boolean().optional().openapi({
    description: "With `enabled: false`: also delete the stored ciphertexts of every key of the API (needs `encrypt_key`). The keys still verify; none can be decrypted any more.",
    example: false,
  }),
});

const route = createRoute({
  operationId: "apis.updateApi",
  tags: ["v1 apis"],
  method: "post",
  path: "/v1/apis.updateApi",
  ...rootKeyRequired(apiPermission("update_api"), apiPermission("encrypt_key", "recovery.purge=true")),
  description:
    "Renames an API or switches recovery on or off. Recovery is not retroactive: only keys created " +
    "with `recoverable: true` while it is on can be decrypted. Switching it off stops new recoverable keys; " +
    "`recovery: {enabled: false, purge: true}` also deletes the ciphertexts already stored, in the same transaction, " +
    "and answers how many (`purged`). `purge` with `enabled: true` is a 400.\n\n" +
    "Permission: `api.*.update_api` or `api.<apiId>.update_api`; with `recovery.purge` also `api.*.encrypt_key` or `api.<apiId>.encrypt_key`.",
  request: jsonBody(
    z
      .object({ apiId: id("api_1234"), name: text().optional(), recovery: recovery.optional() })
      .refine((b) => b.name !== undefined || b.recovery !== undefined, { message: "nothing to update: give name or recovery" }),
  ),
  responses: {
    ...jsonResponse(
      z.object({ purged: z.number().int().optional().openapi({ description: "With `recovery.purge`: how many ciphertexts were deleted.", example: 3 }) }),
      "Updated.",
    ),
    ...errorResponses,
  },
});

export function registerUpdateApi(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { db, logger } = c.get("deps");
    const { apiId, ...changes } = c.req.valid("json");
    const result = await updateApi(db, ctx, apiId, changes);
    if (result.purged !== undefined) {
      // On record like every decrypt: who made the API's keys unrecoverable, and how many.
      logger.info({ event: "api.recovery_purge", requestId: c.get("requestId"), rootKeyId: ctx.rootKeyId, apiId, purged: result.purged }, "recovery ciphertexts purged");
    }
    return c.json(result, 200);
  });
}
