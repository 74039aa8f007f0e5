import { and, eq, inArray } from "drizzle-orm";
import { RBAC, hasPermission } from "../auth/permissions.ts";
import type { RootKeyContext } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { permissions, roles } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { derivedId } from "../ids.ts";

/** Names per lookup or insert: well inside PostgreSQL's 65,535 parameters. */
const CHUNK = 5000;

type Caller = Pick<RootKeyContext, "workspaceId" | "permissions">;

/**
 * Makes sure every permission slug exists in the caller's workspace, inside the caller's
 * transaction, before keys or roles reference it. A slug new to the workspace is created on
 * first use (name = slug, no description), as Unkey v2's createKey and addPermissions do,
 * and that needs `rbac.*.create_permission` (Unkey asks for it in addPermissions and
 * setPermissions; Keyhold asks wherever a permission is created, both versions alike). The
 * existing ones are locked (FOR KEY SHARE) so that a concurrent deletePermission waits for
 * this transaction instead of pulling the row from under its foreign keys.
 */
export async function ensurePermissions(tx: Database, caller: Caller, slugs: Iterable<string>): Promise<void> {
  const wanted = [...new Set(slugs)];
  const missing = new Set(wanted);
  for (let i = 0; i < wanted.length; i += CHUNK) {
    const found = await tx
      .select({ slug: permissions.slug })
      .from(permissions)
      .where(and(eq(permissions.workspaceId, caller.workspaceId), inArray(permissions.slug, wanted.slice(i, i + CHUNK))))
      .for("key share");
    for (const { slug } of found) missing.delete(slug);
  }
  if (missing.size === 0) return;
  if (!hasPermission(caller.permissions, RBAC.createPermission)) {
    const [first] = missing;
    throw new KeyholdError(
      "INSUFFICIENT_PERMISSIONS",
      `The permission "${first}" does not exist yet; creating it needs the root-key permission ${RBAC.createPermission}.`,
    );
  }
  const now = Date.now();
  const rows = [...missing].map((slug) => ({ id: derivedId("perm", caller.workspaceId, slug), workspaceId: caller.workspaceId, name: slug, slug, createdAt: now }));
  // A concurrent call creating the same slug is fine: one row wins, both use it.
  for (let i = 0; i < rows.length; i += CHUNK) await tx.insert(permissions).values(rows.slice(i, i + CHUNK)).onConflictDoNothing();
}

/**
 * The same for role names. A role new to the workspace is created on first use (without
 * permissions) when the root key holds `rbac.*.create_role`, and refused with 403 otherwise,
 * like a new permission. Unkey never creates roles on the fly (an unknown role is its 404);
 * Keyhold does, so that clients written when roles were plain names keep working.
 */
export async function ensureRoles(tx: Database, caller: Caller, names: Iterable<string>): Promise<void> {
  const wanted = [...new Set(names)];
  const missing = new Set(wanted);
  for (let i = 0; i < wanted.length; i += CHUNK) {
    const found = await tx
      .select({ name: roles.name })
      .from(roles)
      .where(and(eq(roles.workspaceId, caller.workspaceId), inArray(roles.name, wanted.slice(i, i + CHUNK))))
      .for("key share");
    for (const { name } of found) missing.delete(name);
  }
  if (missing.size === 0) return;
  if (!hasPermission(caller.permissions, RBAC.createRole)) {
    const [first] = missing;
    throw new KeyholdError("INSUFFICIENT_PERMISSIONS", `The role "${first}" does not exist yet; creating it needs the root-key permission ${RBAC.createRole}.`);
  }
  const now = Date.now();
  const rows = [...missing].map((name) => ({ id: derivedId("role", caller.workspaceId, name), workspaceId: caller.workspaceId, name, createdAt: now }));
  for (let i = 0; i < rows.length; i += CHUNK) await tx.insert(roles).values(rows.slice(i, i + CHUNK)).onConflictDoNothing();
}
