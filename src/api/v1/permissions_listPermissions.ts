import { createRoute, z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { V1_LIST_LIMIT, listPermissions } from "../../rbac/permissions.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { jsonResponse } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { toV1Permission, v1ListQuery, v1PermissionSchema } from "./rbac-schemas.ts";

const route = createRoute({
  operationId: "permissions.listPermissions",
  tags: ["v1 permissions"],
  method: "get",
  path: "/v1/permissions.listPermissions",
  ...rootKeyRequired({ anyOf: [RBAC.readPermission] }),
  description:
    `Lists the workspace's permissions in id order: at most \`limit\` (${V1_LIST_LIMIT} unless given); pass the last id as \`cursor\` for the next ones ` +
    "(Unkey's v1 has neither parameter; v2's listPermissions pages).\n\nPermission: `rbac.*.read_permission`.",
  request: { query: v1ListQuery },
  responses: { ...jsonResponse(z.array(v1PermissionSchema), "The permissions."), ...errorResponses },
});

export function registerListPermissions(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const q = c.req.valid("query");
    const page = await listPermissions(c.get("deps").db, ctx, { limit: q.limit ?? V1_LIST_LIMIT, cursor: q.cursor });
    return c.json(page.permissions.map(toV1Permission), 200);
  });
}
