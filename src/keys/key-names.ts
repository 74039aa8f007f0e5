import { and, eq, inArray, isNull } from "drizzle-orm";
import { apiPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { keyPermissions, keyRoles, keys } from "../db/schema.ts";
import { notFound } from "../errors.ts";
import { ensurePermissions, ensureRoles } from "../rbac/ensure-entities.ts";
import { writeKeyNames } from "./key-settings.ts";
import { findKey } from "./read-keys.ts";

export type KeyNameKind = "permissions" | "roles";
export type KeyNameEdit = "add" | "remove" | "set";

const tables = { permissions: keyPermissions, roles: keyRoles } as const;

/**
 * Adds, removes or sets a key's permission or role names (v2 keys.addPermissions and its
 * siblings) and answers the whole list after the change, sorted. A name new to the workspace
 * becomes its permission or role first, if the root key may create it (ensure-entities.ts).
 * Adding a name the key has, or removing one it lacks, changes nothing, so every edit is
 * idempotent.
 *
 * One transaction holding the key's row: concurrent edits of one key apply one after the
 * other, and each answers the list its own change produced.
 */
export async function editKeyNames(
  db: Database,
  ctx: RootKeyContext,
  input: { keyId: string; kind: KeyNameKind; edit: KeyNameEdit; names: string[] },
): Promise<string[]> {
  const row = await findKey(db, ctx.workspaceId, input.keyId);
  requirePermission(ctx, apiPermission(row.apiId, "update_key"));
  const table = tables[input.kind];
  const key = { id: row.id, workspaceId: ctx.workspaceId };
  const ofKey = and(eq(table.keyId, key.id), eq(table.workspaceId, key.workspaceId));
  const names = [...new Set(input.names)];
  return db.transaction(async (tx) => {
    const live = and(eq(keys.id, key.id), eq(keys.workspaceId, key.workspaceId), isNull(keys.deletedAt));
    // The lock, and the check that the key was not deleted since findKey.
    const [locked] = await tx.select({ id: keys.id }).from(keys).where(live).for("update");
    if (!locked) throw notFound("key");
    let changed = true;
    if (input.edit === "set") await writeKeyNames(tx, ctx, key.id, { [input.kind]: names }, true);
    else if (names.length === 0) changed = false;
    else if (input.edit === "add") {
      await (input.kind === "permissions" ? ensurePermissions : ensureRoles)(tx, ctx, names);
      const added = await tx
        .insert(table)
        .values(names.map((name) => ({ keyId: key.id, workspaceId: key.workspaceId, name })))
        .onConflictDoNothing()
        .returning({ name: table.name });
      changed = added.length > 0;
    } else {
      const removed = await tx.delete(table).where(and(ofKey, inArray(table.name, names))).returning({ name: table.name });
      changed = removed.length > 0;
    }
    // A no-op edit leaves updatedAt alone: the key did not change.
    if (changed) await tx.update(keys).set({ updatedAt: Date.now() }).where(live);
    const after = await tx.select({ name: table.name }).from(table).where(ofKey).orderBy(table.name);
    return after.map((r) => r.name);
  });
}
