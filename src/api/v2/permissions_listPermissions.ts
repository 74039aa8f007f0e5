import { z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { listPermissions } from "../../rbac/permissions.ts";
import { rootKeyAuth } from "../auth.ts";
import { requireJsonBody } from "../middleware/require-json.ts";
import type { App } from "../env.ts";
import { v2Page } from "./envelope.ts";
import { permissionData } from "./key-data.ts";
import { listRequest, toPermissionData } from "./rbac-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "permissions.listPermissions",
  summary: "List permissions",
  description:
    "Lists the workspace's permissions in id order, at most `limit` (100) a page; `pagination.cursor` fetches the next page while `hasMore`. " +
    "`search` keeps those whose name or slug contains it (case-insensitive).\n\nPermission: `rbac.*.read_permission`.",
  permissions: [{ anyOf: [RBAC.readPermission] }],
  request: listRequest,
  data: z.array(permissionData),
  list: true,
});

export function registerV2ListPermissions(app: App): void {
  // Every field is optional: without this a body that is not JSON would list (see require-json.ts).
  app.use("/v2/permissions.listPermissions", requireJsonBody());
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const page = await listPermissions(c.get("deps").db, ctx, c.req.valid("json"));
    return v2Page(c, page.permissions.map(toPermissionData), { cursor: page.cursor });
  });
}
