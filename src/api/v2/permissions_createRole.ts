import { z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { createRole } from "../../rbac/roles.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { description, names, text } from "../routes/schemas.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "permissions.createRole",
  summary: "Create a role",
  description:
    "Creates a role of the workspace, optionally granting permissions (by slug; a slug new to the workspace is created, which needs `rbac.*.create_permission`). " +
    "A name already taken is a 409.\n\nPermission: `rbac.*.create_role`; with `permissions` also `rbac.*.add_permission_to_role`.",
  permissions: [
    { anyOf: [RBAC.createRole] },
    { anyOf: [RBAC.addPermissionToRole], when: "permissions given" },
    { anyOf: [RBAC.createPermission], when: "a permission new to the workspace" },
  ],
  request: z.object({
    name: text(512).openapi({ example: "dns-admin" }),
    description: description.optional(),
    permissions: names.optional().openapi({ example: ["dns.read", "dns.write"] }),
  }),
  data: z.object({ roleId: z.string() }),
  extraErrors: [409],
});

export function registerV2CreateRole(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return v2Data(c, await createRole(c.get("deps").db, ctx, c.req.valid("json")));
  });
}
