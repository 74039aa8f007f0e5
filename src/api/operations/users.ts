import { z } from "@hono/zod-openapi";
import { CUSTODY } from "../../auth/permissions.ts";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import { createUser, deleteUser, getUser, listUsers } from "../../users/users.ts";
import type { App } from "../env.ts";
import { registerOperation } from "../operation.ts";
import { emptyObject, id, text } from "../routes/schemas.ts";

/** users.*: the people of a workspace (src/users/), served as /v1 and /v2 from one definition. */

const userSchema = z
  .object({ userId: z.string(), name: z.string(), email: z.string().optional(), tags: z.array(z.string()), createdAt: z.number() })
  .openapi("User");

const userId = id("usr_1Ghu6Z4qWmT8xYbN3cVd2K");

export function registerUserOperations(app: App): void {
  registerOperation(app, {
    operation: "users.createUser",
    summary: "Create a user",
    description:
      "Adds a person to the workspace. Root keys belong to users (`rootKeys.createRootKey {userId}`), and quorum counts users, not keys.\n\n" +
      "Permission: `custody.*.create_user`.",
    permissions: [{ anyOf: [CUSTODY.createUser] }],
    request: z.object({
      name: text(),
      email: z.email().max(255).optional(),
      tags: z.array(text(64)).max(32).optional(),
    }),
    data: z.object({ userId: z.string() }),
    handle: (input, ctx, c) => createUser(c.get("deps").db, ctx, input),
  });

  registerOperation(app, {
    operation: "users.getUser",
    summary: "Get a user",
    description: "A user of the caller's workspace; another workspace's is as absent as one never made (404).\n\nPermission: `custody.*.read_user`.",
    permissions: [{ anyOf: [CUSTODY.readUser] }],
    read: true,
    request: z.object({ userId }),
    data: userSchema,
    handle: (input, ctx, c) => getUser(c.get("deps").db, ctx, input.userId),
  });

  registerOperation(app, {
    operation: "users.listUsers",
    summary: "List users",
    description:
      "The workspace's users in creation order, a page at a time: at most `limit` (100) and at most 1 MiB of JSON; " +
      "a `cursor` in the answer means there are more (pass it back).\n\nPermission: `custody.*.read_user`.",
    permissions: [{ anyOf: [CUSTODY.readUser] }],
    read: true,
    request: z.object({ limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).optional(), cursor: text().optional() }),
    data: userSchema,
    list: { items: "users" },
    handle: async (input, ctx, c) => {
      const page = await listUsers(c.get("deps").db, ctx, input);
      return { items: page.users, ...(page.cursor !== undefined && { cursor: page.cursor }) };
    },
  });

  registerOperation(app, {
    operation: "users.deleteUser",
    summary: "Delete a user",
    description:
      "Deletes a user of the caller's workspace. Refused (409) while the user holds live root keys: revoke them first.\n\n" +
      "Permission: `custody.*.delete_user`.",
    permissions: [{ anyOf: [CUSTODY.deleteUser] }],
    request: z.object({ userId }),
    data: emptyObject,
    extraErrors: [409],
    handle: async (input, ctx, c) => {
      await deleteUser(c.get("deps").db, ctx, input.userId);
      return {};
    },
  });
}
