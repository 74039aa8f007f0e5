import { createRoute, z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { getRole } from "../../rbac/roles.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { jsonResponse, text } from "../routes/schemas.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { toV1Role, v1RoleSchema } from "./rbac-schemas.ts";

const route = createRoute({
  operationId: "permissions.getRole",
  tags: ["v1 permissions"],
  method: "get",
  path: "/v1/permissions.getRole",
  ...rootKeyRequired({ anyOf: [RBAC.readRole] }),
  description: "Reads a role by id (or name).\n\nPermission: `rbac.*.read_role`.",
  request: { query: z.object({ roleId: text(512).openapi({ example: "role_1234" }) }) },
  responses: { ...jsonResponse(v1RoleSchema, "The role."), ...errorResponses },
});

export function registerGetRole(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return c.json(toV1Role(await getRole(c.get("deps").db, ctx, c.req.valid("query").roleId)), 200);
  });
}
