import { createRoute, z } from "@hono/zod-openapi";
import { listRootKeys } from "../../auth/root-keys.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { jsonResponse } from "./schemas.ts";
import { rootKeyRequired } from "./route-security.ts";

const rootKeySchema = z
  .object({
    id: z.string(),
    name: z.string().optional(),
    start: z.string(),
    permissions: z.array(z.string()),
    createdAt: z.number(),
    expires: z.number().optional(),
  })
  .openapi("RootKey");

const route = createRoute({
  operationId: "rootKeys.listRootKeys",
  tags: ["rootKeys"],
  method: "get",
  path: "/v1/rootKeys.listRootKeys",
  ...rootKeyRequired({ anyOf: ["rbac.*.read_root_key"] }),
  description: "Lists the workspace's live root keys. Never returns a secret.\n\nPermission: `rbac.*.read_root_key`.",
  responses: { ...jsonResponse(z.object({ rootKeys: z.array(rootKeySchema) }), "The root keys."), ...errorResponses },
});

export function registerListRootKeys(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    return c.json({ rootKeys: await listRootKeys(c.get("deps").db, ctx) }, 200);
  });
}
