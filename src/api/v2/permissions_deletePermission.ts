import { z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { deletePermission } from "../../rbac/permissions.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { text } from "../routes/schemas.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "permissions.deletePermission",
  summary: "Delete a permission",
  description:
    "Deletes a permission (by id or slug) and, in the same transaction, removes it from every key and role holding it; verifies see the change at once on every instance.\n\n" +
    "Permission: `rbac.*.delete_permission`.",
  permissions: [{ anyOf: [RBAC.deletePermission] }],
  request: z.object({ permission: text(512).openapi({ example: "dns.read" }) }),
  data: z.object({}),
});

export function registerV2DeletePermission(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    await deletePermission(c.get("deps").db, ctx, c.req.valid("json").permission);
    return v2Data(c, {});
  });
}
