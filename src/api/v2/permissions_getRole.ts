import { z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { getRole } from "../../rbac/roles.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { text } from "../routes/schemas.ts";
import { v2Data } from "./envelope.ts";
import { roleWithPermissionsData, toRoleData } from "./rbac-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "permissions.getRole",
  summary: "Get a role",
  description: "Reads a role by id or name, with its permissions.\n\nPermission: `rbac.*.read_role`.",
  permissions: [{ anyOf: [RBAC.readRole] }],
  request: z.object({ role: text(512).openapi({ example: "dns-admin" }) }),
  data: roleWithPermissionsData,
});

export function registerV2GetRole(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return v2Data(c, toRoleData(await getRole(c.get("deps").db, ctx, c.req.valid("json").role)));
  });
}
