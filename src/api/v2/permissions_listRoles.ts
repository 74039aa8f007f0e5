import { z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { listRoles } from "../../rbac/roles.ts";
import { rootKeyAuth } from "../auth.ts";
import { requireJsonBody } from "../middleware/require-json.ts";
import type { App } from "../env.ts";
import { v2Page } from "./envelope.ts";
import { listRequest, roleWithPermissionsData, toRoleData } from "./rbac-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "permissions.listRoles",
  summary: "List roles",
  description:
    "Lists the workspace's roles with their permissions in id order, at most `limit` (100) and 1 MiB of JSON a page; `pagination.cursor` fetches the next page while `hasMore`. " +
    "`search` keeps those whose name contains it (case-insensitive).\n\nPermission: `rbac.*.read_role`.",
  permissions: [{ anyOf: [RBAC.readRole] }],
  request: listRequest,
  data: z.array(roleWithPermissionsData),
  list: true,
});

export function registerV2ListRoles(app: App): void {
  // Every field is optional: without this a body that is not JSON would list (see require-json.ts).
  app.use("/v2/permissions.listRoles", requireJsonBody());
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const page = await listRoles(c.get("deps").db, ctx, c.req.valid("json"));
    return v2Page(c, page.roles.map(toRoleData), { cursor: page.cursor });
  });
}
