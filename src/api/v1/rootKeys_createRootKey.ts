import { createRoute, z } from "@hono/zod-openapi";
import { isValidPermission } from "../../auth/permissions.ts";
import { createRootKey } from "../../auth/root-keys.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { id, jsonBody, jsonResponse, text, timestamp } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";

const permission = z.string().refine(isValidPermission, { message: "must be `*` or `<resource>.<id|*>.<action>`" });

const route = createRoute({
  operationId: "rootKeys.createRootKey",
  tags: ["v1 rootKeys"],
  method: "post",
  path: "/v1/rootKeys.createRootKey",
  ...rootKeyRequired({ anyOf: ["rbac.*.create_root_key"] }),
  description:
    "Creates a root key of the caller's workspace and returns it once. It can only grant permissions the caller holds. " +
    "It belongs to the user `userId` (a user of the workspace; 404 otherwise), by default to the caller's own user.\n\n" +
    "Permission: `rbac.*.create_root_key`.",
  request: jsonBody(
    z.object({
      name: text(),
      permissions: z.array(permission).min(1).max(1000).openapi({ example: ["api.*.create_key", "api.*.read_key"] }),
      expires: timestamp.optional(),
      userId: id("usr_1Ghu6Z4qWmT8xYbN3cVd2K").optional(),
    }),
  ),
  responses: { ...jsonResponse(z.object({ keyId: z.string(), key: z.string() }), "The root key, shown once."), ...errorResponses },
});

export function registerCreateRootKey(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return c.json(await createRootKey(c.get("deps").db, ctx, c.req.valid("json")), 200);
  });
}
