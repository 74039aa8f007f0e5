import { z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { deleteRole } from "../../rbac/roles.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { text } from "../routes/schemas.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "permissions.deleteRole",
  summary: "Delete a role",
  description:
    "Deletes a role (by id or name) and, in the same transaction, removes it from every key holding it; verifies see the change at once on every instance.\n\n" +
    "Permission: `rbac.*.delete_role`.",
  permissions: [{ anyOf: [RBAC.deleteRole] }],
  request: z.object({ role: text(512).openapi({ example: "dns-admin" }) }),
  data: z.object({}),
});

export function registerV2DeleteRole(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    await deleteRole(c.get("deps").db, ctx, c.req.valid("json").role);
    return v2Data(c, {});
  });
}
