import { and, eq, isNull, sql } from "drizzle-orm";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import { apiPermission } from "../auth/permissions.ts";
import type { Database } from "../db/client.ts";
import { preparedPerHandle } from "../db/prepared.ts";
import { apis, keys } from "../db/schema.ts";
import { notFound } from "../errors.ts";
import { newId } from "../ids.ts";

export type ApiRow = typeof apis.$inferSelect;

export interface ApiView {
  id: string;
  workspaceId: string;
  name: string;
  recovery: { enabled: boolean };
}

/** An API of the caller's workspace, or NOT_FOUND: a foreign API looks exactly like a missing one. */
export async function findApi(db: Database, workspaceId: string, apiId: string): Promise<ApiRow> {
  const [row] = await findApiById(db).execute({ apiId, workspaceId });
  if (!row) throw notFound("api");
  return row;
}

/** Prepared: every admin call on an API starts here. */
const findApiById = preparedPerHandle((db) =>
  db
    .select()
    .from(apis)
    .where(and(eq(apis.id, sql.placeholder("apiId")), eq(apis.workspaceId, sql.placeholder("workspaceId")), isNull(apis.deletedAt)))
    .limit(1)
    .prepare("keyhold_find_api"),
);

export async function createApi(db: Database, ctx: RootKeyContext, name: string): Promise<{ apiId: string }> {
  requirePermission(ctx, "api.*.create_api");
  const apiId = newId("api");
  await db.insert(apis).values({ id: apiId, workspaceId: ctx.workspaceId, name, createdAt: Date.now() });
  return { apiId };
}

export async function getApi(db: Database, ctx: RootKeyContext, apiId: string): Promise<ApiView> {
  const api = await findApi(db, ctx.workspaceId, apiId);
  requirePermission(ctx, apiPermission(api.id, "read_api"));
  return toApiView(api);
}

export async function updateApi(
  db: Database,
  ctx: RootKeyContext,
  apiId: string,
  changes: { name?: string; recovery?: { enabled: boolean } },
): Promise<void> {
  const api = await findApi(db, ctx.workspaceId, apiId);
  requirePermission(ctx, apiPermission(api.id, "update_api"));
  await db
    .update(apis)
    .set({
      ...(changes.name !== undefined && { name: changes.name }),
      ...(changes.recovery !== undefined && { recoveryEnabled: changes.recovery.enabled }),
    })
    .where(and(eq(apis.id, api.id), eq(apis.workspaceId, ctx.workspaceId)));
}

/** Soft-deletes the API and, in the same transaction, every key of it. */
export async function deleteApi(db: Database, ctx: RootKeyContext, apiId: string): Promise<void> {
  const api = await findApi(db, ctx.workspaceId, apiId);
  requirePermission(ctx, apiPermission(api.id, "delete_api"));
  const now = Date.now();
  await db.transaction(async (tx) => {
    await tx.update(apis).set({ deletedAt: now }).where(and(eq(apis.id, api.id), eq(apis.workspaceId, ctx.workspaceId)));
    await tx
      .update(keys)
      .set({ deletedAt: now })
      .where(and(eq(keys.apiId, api.id), eq(keys.workspaceId, ctx.workspaceId), isNull(keys.deletedAt)));
  });
}

export function toApiView(api: ApiRow): ApiView {
  return { id: api.id, workspaceId: api.workspaceId, name: api.name, recovery: { enabled: api.recoveryEnabled } };
}
