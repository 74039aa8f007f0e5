import { z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { createPermission } from "../../rbac/permissions.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { description, text } from "../routes/schemas.ts";
import { v2Data } from "./envelope.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "permissions.createPermission",
  summary: "Create a permission",
  description:
    "Creates a permission of the workspace. Keys and roles hold it by `slug` (what verifyKey's `permissions` query names); `name` is for people. " +
    "A slug already taken is a 409. The id is derived from the workspace and slug, the id keys already showed for it.\n\nPermission: `rbac.*.create_permission`.",
  permissions: [{ anyOf: [RBAC.createPermission] }],
  request: z.object({
    name: text(512).openapi({ example: "Read DNS records" }),
    slug: text(512).openapi({ example: "dns.read" }),
    description: description.optional(),
  }),
  data: z.object({ permissionId: z.string() }),
  extraErrors: [409],
});

export function registerV2CreatePermission(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return v2Data(c, await createPermission(c.get("deps").db, ctx, c.req.valid("json")));
  });
}
