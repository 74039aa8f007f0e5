import { createRoute, z } from "@hono/zod-openapi";
import { updateKey } from "../../keys/update-key.ts";
import { resolveNameRefs } from "../../rbac/name-refs.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { emptyObject, jsonBody, jsonResponse, toKeySettings, updateKeyFields } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired, NEW_NAME_PROSE, NEW_NAME_RULES } from "../routes/route-security.ts";

const route = createRoute({
  operationId: "keys.updateKey",
  tags: ["v1 keys"],
  method: "post",
  path: "/v1/keys.updateKey",
  ...rootKeyRequired(apiPermission("update_key"), ...NEW_NAME_RULES),
  description:
    "Changes a key's settings; `null` clears one. `roles`/`permissions` replace the key's lists. " +
    "A key's id, hash, API and workspace never change.\n\nPermission: `api.*.update_key` or `api.<apiId>.update_key`." + NEW_NAME_PROSE,
  request: jsonBody(z.object(updateKeyFields)),
  responses: { ...jsonResponse(emptyObject, "Updated."), ...errorResponses },
});

export function registerUpdateKey(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { keyId, ...fields } = c.req.valid("json");
    const { db } = c.get("deps");
    const settings = toKeySettings(fields);
    // Unkey v1's {id} / {name, create} references, resolved in the workspace (name-refs.ts).
    if (fields.permissions) settings.permissions = await resolveNameRefs(db, ctx, "permissions", fields.permissions);
    if (fields.roles) settings.roles = await resolveNameRefs(db, ctx, "roles", fields.roles);
    await updateKey(db, ctx, keyId, settings);
    return c.json({}, 200);
  });
}
