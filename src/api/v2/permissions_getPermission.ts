import { z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { getPermission } from "../../rbac/permissions.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { text } from "../routes/schemas.ts";
import { v2Data } from "./envelope.ts";
import { permissionData } from "./key-data.ts";
import { toPermissionData } from "./rbac-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "permissions.getPermission",
  summary: "Get a permission",
  description: "Reads a permission by id or slug.\n\nPermission: `rbac.*.read_permission`.",
  permissions: [{ anyOf: [RBAC.readPermission] }],
  request: z.object({ permission: text(512).openapi({ example: "dns.read" }) }),
  data: permissionData,
});

export function registerV2GetPermission(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return v2Data(c, toPermissionData(await getPermission(c.get("deps").db, ctx, c.req.valid("json").permission)));
  });
}
