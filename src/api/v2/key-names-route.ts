import { z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { type KeyNameEdit, type KeyNameKind, editKeyNames } from "../../keys/key-names.ts";
import { describePermissions } from "../../rbac/permissions.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { id, names } from "../routes/schemas.ts";
import { apiPermission } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { permissionData, roleData, toRoles } from "./key-data.ts";
import { toPermissionData } from "./rbac-data.ts";
import { v2Route } from "./route.ts";

const verbs = { add: "Adds", remove: "Removes", set: "Sets" } as const;
const what = {
  add: (kind: string) => `${kind} to the key; names it already has change nothing`,
  remove: (kind: string) => `${kind} from the key; names it lacks change nothing`,
  set: (kind: string) => `the key's ${kind} to exactly these (an empty list removes all)`,
};
const operations = {
  permissions: { add: "keys.addPermissions", remove: "keys.removePermissions", set: "keys.setPermissions" },
  roles: { add: "keys.addRoles", remove: "keys.removeRoles", set: "keys.setRoles" },
} as const;

/**
 * The six v2 edits of a key's permissions or roles differ only in kind and edit; each route
 * file is one call of this. Names the workspace lacks are created on add and set (with
 * rbac.*.create_permission or rbac.*.create_role); attaching existing ones takes update_key
 * alone (Unkey also asks for rbac.*.add_permission_to_key and its siblings, which Keyhold's
 * root keys never needed, so existing root keys keep working).
 */
export function keyNamesRoute(kind: KeyNameKind, edit: KeyNameEdit): (app: App) => void {
  const singular = kind === "permissions" ? "permission" : "role";
  const created = kind === "permissions" ? RBAC.createPermission : RBAC.createRole;
  const keyId = id("key_1234");
  const list = edit === "set" ? names : names.min(1);
  const route = v2Route({
    operation: operations[kind][edit],
    summary: `${verbs[edit]} a key's ${kind}`,
    description:
      `${verbs[edit]} ${what[edit](kind)}, in one transaction, and answers the key's whole list after the change. ` +
      `A key holds a ${singular} by its ${kind === "permissions" ? "slug" : "name"}.\n\n` +
      "Permission: `api.*.update_key` or `api.<apiId>.update_key`." +
      (edit === "remove" ? "" : ` A ${singular} the workspace does not have yet is created first, which also needs \`${created}\` (403 otherwise).`),
    permissions: [apiPermission("update_key"), ...(edit === "remove" ? [] : [{ anyOf: [created], when: `a ${singular} new to the workspace` }])],
    request: kind === "permissions" ? z.object({ keyId, permissions: list }) : z.object({ keyId, roles: list }),
    data: z.array(kind === "permissions" ? permissionData : roleData),
  });
  return (app) => {
    app.openapi(route, async (c) => {
      const ctx = await rootKeyAuth(c);
      const body = c.req.valid("json");
      const requested = "permissions" in body ? body.permissions : body.roles;
      const list = await editKeyNames(c.get("deps").db, ctx, { keyId: body.keyId, kind, edit, names: requested });
      if (kind === "roles") return v2Data(c, toRoles(ctx.workspaceId, list));
      return v2Data(c, (await describePermissions(c.get("deps").db, ctx.workspaceId, list)).map(toPermissionData));
    });
  };
}
