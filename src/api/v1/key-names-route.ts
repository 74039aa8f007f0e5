import { createRoute, z } from "@hono/zod-openapi";
import { RBAC } from "../../auth/permissions.ts";
import { derivedId } from "../../ids.ts";
import { type KeyNameEdit, type KeyNameKind, editKeyNames } from "../../keys/key-names.ts";
import { type NameRef, resolveNameRefs } from "../../rbac/name-refs.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { id, jsonBody, jsonResponse, text } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired } from "../routes/route-security.ts";

const verbs = { add: "Adds", remove: "Removes", set: "Sets" } as const;
const operations = {
  permissions: { add: "keys.addPermissions", remove: "keys.removePermissions", set: "keys.setPermissions" },
  roles: { add: "keys.addRoles", remove: "keys.removeRoles", set: "keys.setRoles" },
} as const;

/**
 * Unkey v1's six edits of a key's permissions or roles, over the same service as v2's
 * (editKeyNames). v1 names them by reference: `{id}`, `{name}` (a permission also `{slug}`),
 * `create` (name-refs.ts); add and set answer the key's
 * list after the change as `[{id, name}]`, remove answers `{}`.
 */
export function v1KeyNamesRoute(kind: KeyNameKind, edit: KeyNameEdit): (app: App) => void {
  const singular = kind === "permissions" ? "permission" : "role";
  const created = kind === "permissions" ? RBAC.createPermission : RBAC.createRole;
  const ref = z
    .object({
      id: text(512).optional(),
      name: text(512).optional(),
      ...(kind === "permissions" && { slug: text(512).optional() }),
      ...(edit !== "remove" && { create: z.boolean().optional() }),
    })
    .refine((r) => r.id !== undefined || r.name !== undefined || ("slug" in r && r.slug !== undefined), { message: "needs an id or a name" });
  const list = edit === "set" ? z.array(ref).max(1000) : z.array(ref).min(1).max(1000);
  const answer = edit === "remove" ? z.object({}) : z.array(z.object({ id: z.string(), name: z.string() }));
  const route = createRoute({
    operationId: operations[kind][edit],
    tags: ["v1 keys"],
    method: "post",
    path: `/v1/${operations[kind][edit]}`,
    ...rootKeyRequired(apiPermission("update_key"), ...(edit === "remove" ? [] : [{ anyOf: [created], when: "a name new to the workspace" }])),
    description:
      `${verbs[edit]} ${edit === "set" ? `the key's ${kind} to exactly these` : `${kind} ${edit === "add" ? "to" : "from"} the key`}, in one transaction. ` +
      `Each is named by \`id\` or \`name\`${kind === "permissions" ? " (or `slug`)" : ""}; a name the workspace lacks is created (a 404 with \`create: false\`, as is an unknown id).` +
      (edit === "remove" ? " Answers `{}`." : " Answers the key's whole list after the change.") +
      "\n\nPermission: `api.*.update_key` or `api.<apiId>.update_key`." +
      (edit === "remove" ? "" : ` Creating a ${singular} also needs \`${created}\`.`),
    request: jsonBody(kind === "permissions" ? z.object({ keyId: id("key_1234"), permissions: list }) : z.object({ keyId: id("key_1234"), roles: list })),
    responses: { ...jsonResponse(answer, "The key's list after the change."), ...errorResponses },
  });
  return (app) => {
    app.openapi(route, async (c) => {
      const ctx = await rootKeyAuth(c);
      const body = c.req.valid("json");
      const { db } = c.get("deps");
      const refs = ("permissions" in body ? body.permissions : body.roles) as NameRef[];
      const names = await resolveNameRefs(db, ctx, kind, refs, { lenient: edit === "remove" });
      const after = await editKeyNames(db, ctx, { keyId: body.keyId, kind, edit, names });
      if (edit === "remove") return c.json({}, 200);
      return c.json(
        after.map((name) => ({ id: derivedId(kind === "permissions" ? "perm" : "role", ctx.workspaceId, name), name })),
        200,
      );
    });
  };
}
