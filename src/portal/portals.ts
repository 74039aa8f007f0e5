import { and, count, eq, gt, inArray, isNull } from "drizzle-orm";
import { CREATE_PORTAL, portalPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { type PortalBranding, apis, portals, workspaces } from "../db/schema.ts";
import { KeyholdError, notFound } from "../errors.ts";
import { newId } from "../ids.ts";
import { MAX_LIST_LIMIT } from "../paging.ts";

/**
 * A workspace's portals: which of its APIs an end-user portal shows, where it sends users
 * back, how it looks. Every query is scoped to the caller's workspace (another workspace's
 * portal answers exactly like a missing one), and so is every API a portal names.
 */

export const MAX_PORTALS_PER_WORKSPACE = 100;
export const MAX_PORTAL_APIS = 20;

export type PortalRow = typeof portals.$inferSelect;

export interface PortalView {
  portalId: string;
  name: string;
  apiIds: string[];
  returnUrl?: string;
  branding?: PortalBranding;
  createdAt: number;
  updatedAt?: number;
}

export interface PortalInput {
  name: string;
  apiIds: string[];
  returnUrl?: string | null;
  branding?: PortalBranding | null;
}

export const portalNotFound = (): KeyholdError => new KeyholdError("NOT_FOUND", "The portal does not exist.");

export function toPortalView(row: PortalRow): PortalView {
  return {
    portalId: row.id,
    name: row.name,
    apiIds: row.apiIds,
    ...(row.returnUrl !== null && { returnUrl: row.returnUrl }),
    ...(row.branding !== null && { branding: row.branding }),
    createdAt: row.createdAt,
    ...(row.updatedAt !== null && { updatedAt: row.updatedAt }),
  };
}

/** Every API named is a live API of the workspace; one that is not is a 404 like a missing API. */
async function requireWorkspaceApis(db: Database, workspaceId: string, apiIds: readonly string[]): Promise<string[]> {
  const unique = [...new Set(apiIds)].sort();
  const found = await db
    .select({ id: apis.id })
    .from(apis)
    .where(and(eq(apis.workspaceId, workspaceId), isNull(apis.deletedAt), inArray(apis.id, unique)));
  if (found.length !== unique.length) throw notFound("api");
  return unique;
}

/** The portal, in the caller's workspace, or NOT_FOUND. */
export async function findPortal(db: Database, workspaceId: string, portalId: string): Promise<PortalRow> {
  const [row] = await db.select().from(portals).where(and(eq(portals.id, portalId), eq(portals.workspaceId, workspaceId)));
  if (!row) throw portalNotFound();
  return row;
}

export async function createPortal(db: Database, ctx: RootKeyContext, input: PortalInput): Promise<{ portalId: string }> {
  requirePermission(ctx, CREATE_PORTAL);
  const now = Date.now();
  const portalId = newId("ptl", now);
  await db.transaction(async (tx) => {
    // The workspace's row serialises its creates, so the bound holds under concurrency.
    await tx.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, ctx.workspaceId)).for("update");
    const [held] = await tx.select({ n: count() }).from(portals).where(eq(portals.workspaceId, ctx.workspaceId));
    if ((held?.n ?? 0) >= MAX_PORTALS_PER_WORKSPACE) {
      throw new KeyholdError("CONFLICT", `The workspace already has ${MAX_PORTALS_PER_WORKSPACE} portals, the most it may have; delete one first.`);
    }
    const apiIds = await requireWorkspaceApis(tx, ctx.workspaceId, input.apiIds);
    await tx.insert(portals).values({
      id: portalId,
      workspaceId: ctx.workspaceId,
      name: input.name,
      apiIds,
      returnUrl: input.returnUrl ?? null,
      branding: input.branding ?? null,
      createdAt: now,
    });
  });
  return { portalId };
}

/*
 * get, update and delete find the portal first, then check the permission (as getApi does): a
 * root key naming another workspace's portal in its permissions gets the 404 of a missing one.
 */
export async function getPortal(db: Database, ctx: RootKeyContext, portalId: string): Promise<PortalView> {
  const row = await findPortal(db, ctx.workspaceId, portalId);
  requirePermission(ctx, portalPermission("*", "read_portal"), portalPermission(row.id, "read_portal"));
  return toPortalView(row);
}

/** The workspace's portals, in creation order (`portal.*.read_portal`: listing is workspace-wide, as listPolicies). */
export async function listPortals(db: Database, ctx: RootKeyContext, input: { limit?: number; cursor?: string }): Promise<{ portals: PortalView[]; cursor?: string }> {
  requirePermission(ctx, portalPermission("*", "read_portal"));
  const limit = input.limit ?? MAX_LIST_LIMIT;
  const rows = await db
    .select()
    .from(portals)
    .where(
      and(
        eq(portals.workspaceId, ctx.workspaceId),
        input.cursor !== undefined ? gt(portals.id, input.cursor) : undefined,
      ),
    )
    .orderBy(portals.id)
    .limit(limit + 1);
  // A portal is small (bounded name, at most MAX_PORTAL_APIS ids): a page of 100 stays far below MAX_PAGE_BYTES.
  const page = rows.slice(0, limit);
  return { portals: page.map(toPortalView), ...(rows.length > limit && { cursor: page.at(-1)!.id }) };
}

/** Changes the fields sent; `returnUrl` or `branding` null clears it. */
export async function updatePortal(db: Database, ctx: RootKeyContext, portalId: string, input: Partial<PortalInput>): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.select().from(portals).where(and(eq(portals.id, portalId), eq(portals.workspaceId, ctx.workspaceId))).for("update");
    if (!row) throw portalNotFound();
    requirePermission(ctx, portalPermission("*", "update_portal"), portalPermission(row.id, "update_portal"));
    const apiIds = input.apiIds === undefined ? row.apiIds : await requireWorkspaceApis(tx, ctx.workspaceId, input.apiIds);
    await tx
      .update(portals)
      .set({
        name: input.name ?? row.name,
        apiIds,
        returnUrl: input.returnUrl === undefined ? row.returnUrl : input.returnUrl,
        branding: input.branding === undefined ? row.branding : input.branding,
        updatedAt: Date.now(),
      })
      .where(eq(portals.id, row.id));
  });
}

/** Deletes the portal and every session of it at once (the sessions' rows cascade). */
export async function deletePortal(db: Database, ctx: RootKeyContext, portalId: string): Promise<void> {
  const row = await findPortal(db, ctx.workspaceId, portalId);
  requirePermission(ctx, portalPermission("*", "delete_portal"), portalPermission(row.id, "delete_portal"));
  const deleted = await db
    .delete(portals)
    .where(and(eq(portals.id, portalId), eq(portals.workspaceId, ctx.workspaceId)))
    .returning({ id: portals.id });
  if (deleted.length === 0) throw portalNotFound();
}

/** The names of the workspace's live APIs among `apiIds`, in the order given (the hosted page labels its buttons with them). */
export async function apiNames(db: Database, workspaceId: string, apiIds: readonly string[]): Promise<{ id: string; name: string }[]> {
  if (apiIds.length === 0) return [];
  const rows = await db
    .select({ id: apis.id, name: apis.name })
    .from(apis)
    .where(and(eq(apis.workspaceId, workspaceId), isNull(apis.deletedAt), inArray(apis.id, [...apiIds])));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return apiIds.flatMap((id) => byId.get(id) ?? []);
}
