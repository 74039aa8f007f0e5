import { and, eq, inArray } from "drizzle-orm";
import type { RootKeyContext } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { permissions, roles } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";

/**
 * Unkey v1's references to a permission or role in key edits (keys.updateKey, keys.addPermissions
 * and siblings): `{id}`, `{name}` or `{name, create: true}`; Keyhold also takes a bare name.
 */
export type NameRef = string | { id?: string; name?: string; slug?: string; create?: boolean };

/**
 * The names (permission slugs, role names) the references mean, in order. An `{id}` must be an
 * entity of the caller's workspace (404 otherwise). A `{name}` with `create: false` must exist
 * (404 otherwise); any other name is created later if missing and the root key may
 * (ensure-entities.ts), as v2 does. Unkey's v1 creates only with `create: true`; Keyhold's
 * v1 created any name before names were entities, and keeps doing so. A permission's `slug`, where v1 sends one,
 * is its name. `lenient` (removals): a reference to nothing is dropped, since removing what a
 * key does not hold changes nothing.
 */
export async function resolveNameRefs(
  db: Database,
  ctx: Pick<RootKeyContext, "workspaceId">,
  kind: "permissions" | "roles",
  input: NameRef[],
  options: { lenient?: boolean } = {},
): Promise<string[]> {
  const refs = input.map((r) => (typeof r === "string" || r.slug === undefined ? r : { ...r, name: r.slug }));
  const singular = kind === "permissions" ? "permission" : "role";
  const table = kind === "permissions" ? { t: permissions, id: permissions.id, name: permissions.slug, ws: permissions.workspaceId } : { t: roles, id: roles.id, name: roles.name, ws: roles.workspaceId };
  const ids = [...new Set(refs.flatMap((r) => (typeof r !== "string" && r.name === undefined && r.id !== undefined ? [r.id] : [])))];
  const mustExist = options.lenient ? [] : [...new Set(refs.flatMap((r) => (typeof r !== "string" && r.name !== undefined && r.create === false ? [r.name] : [])))];
  const byId = new Map<string, string>();
  const existing = new Set<string>();
  if (ids.length > 0) {
    const rows = await db.select({ id: table.id, name: table.name }).from(table.t).where(and(eq(table.ws, ctx.workspaceId), inArray(table.id, ids)));
    for (const row of rows) byId.set(row.id, row.name);
  }
  if (mustExist.length > 0) {
    const rows = await db.select({ name: table.name }).from(table.t).where(and(eq(table.ws, ctx.workspaceId), inArray(table.name, mustExist)));
    for (const row of rows) existing.add(row.name);
  }
  return refs.flatMap((r) => {
    if (typeof r === "string") return [r];
    if (r.name === undefined) {
      const name = byId.get(r.id!);
      if (name !== undefined) return [name];
      if (options.lenient) return [];
      throw new KeyholdError("NOT_FOUND", `The ${singular} does not exist.`);
    }
    if (r.create === false && !existing.has(r.name) && !options.lenient) {
      throw new KeyholdError("NOT_FOUND", `The ${singular} "${r.name}" does not exist (create: false).`);
    }
    return [r.name];
  });
}
