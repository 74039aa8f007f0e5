import { createRoute, z } from "@hono/zod-openapi";
import { deleteRootKey } from "../../auth/root-keys.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { emptyObject, id, jsonBody, jsonResponse } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "rootKeys.deleteRootKey",
  tags: ["v1 rootKeys"],
  method: "post",
  path: "/v1/rootKeys.deleteRootKey",
  ...rootKeyRequired({ anyOf: ["rbac.*.delete_root_key"] }),
  description: "Revokes a root key of the caller's workspace; it is refused (401) at once.\n\nPermission: `rbac.*.delete_root_key`.",
  request: jsonBody(z.object({ keyId: id("rk_1234") })),
  responses: { ...jsonResponse(emptyObject, "Revoked."), ...errorResponses },
});

export function registerDeleteRootKey(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { keyId } = c.req.valid("json");
    await deleteRootKey(c.get("deps").db, ctx, keyId);
    return c.json({}, 200);
  });
}
