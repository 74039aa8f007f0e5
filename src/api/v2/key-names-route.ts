import { z } from "@hono/zod-openapi";
import { type KeyNameEdit, type KeyNameKind, editKeyNames } from "../../keys/key-names.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { id, names } from "../routes/schemas.ts";
import { apiPermission } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { permissionData, roleData, toPermissions, toRoles } from "./key-data.ts";
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
 * file is one call of this. Unkey also asks for rbac permissions to attach names and, for
 * names new to the workspace, to create them; Keyhold has no permission or role entities
 * yet, so a name is simply stored on the key and update_key is all it takes.
 */
export function keyNamesRoute(kind: KeyNameKind, edit: KeyNameEdit): (app: App) => void {
  const singular = kind === "permissions" ? "permission" : "role";
  const keyId = id("key_1234");
  const list = edit === "set" ? names : names.min(1);
  const route = v2Route({
    operation: operations[kind][edit],
    summary: `${verbs[edit]} a key's ${kind}`,
    description:
      `${verbs[edit]} ${what[edit](kind)}, in one transaction, and answers the key's whole list after the change. ` +
      `Any name is accepted: Keyhold stores ${singular} names, and each ${singular}'s \`id\` is derived from the workspace and name.\n\n` +
      "Permission: `api.*.update_key` or `api.<apiId>.update_key`.",
    permissions: [apiPermission("update_key")],
    request: kind === "permissions" ? z.object({ keyId, permissions: list }) : z.object({ keyId, roles: list }),
    data: z.array(kind === "permissions" ? permissionData : roleData),
  });
  return (app) => {
    app.openapi(route, async (c) => {
      const ctx = await rootKeyAuth(c);
      const body = c.req.valid("json");
      const requested = "permissions" in body ? body.permissions : body.roles;
      const list = await editKeyNames(c.get("deps").db, ctx, { keyId: body.keyId, kind, edit, names: requested });
      return v2Data(c, kind === "permissions" ? toPermissions(ctx.workspaceId, list) : toRoles(ctx.workspaceId, list));
    });
  };
}
