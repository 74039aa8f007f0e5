import { createRoute, z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { V1_LIST_LIMIT } from "../../rbac/permissions.ts";
import { listRoles } from "../../rbac/roles.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { jsonResponse } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { toV1Role, v1ListQuery, v1RoleSchema } from "./rbac-schemas.ts";

const route = createRoute({
  operationId: "permissions.listRoles",
  tags: ["v1 permissions"],
  method: "get",
  path: "/v1/permissions.listRoles",
  ...rootKeyRequired({ anyOf: [RBAC.readRole] }),
  description:
    `Lists the workspace's roles in id order: at most \`limit\` (${V1_LIST_LIMIT} unless given, fewer if their permissions pass 1 MiB); pass the last id as \`cursor\` for the next ones ` +
    "(Unkey's v1 has neither parameter; v2's listRoles pages).\n\nPermission: `rbac.*.read_role`.",
  request: { query: v1ListQuery },
  responses: { ...jsonResponse(z.array(v1RoleSchema), "The roles."), ...errorResponses },
});

export function registerListRoles(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const q = c.req.valid("query");
    const page = await listRoles(c.get("deps").db, ctx, { limit: q.limit ?? V1_LIST_LIMIT, cursor: q.cursor });
    return c.json(page.roles.map(toV1Role), 200);
  });
}
