import { z } from "@hono/zod-openapi";
import { V1_LIST_LIMIT } from "../../rbac/permissions.ts";
import type { PermissionView, RoleView } from "../../rbac/views.ts";
import { text } from "../routes/schemas.ts";

/** Unkey v1's shapes of the workspace's permissions and roles (v1 roles show no permissions). */

export const v1PermissionSchema = z
  .object({ id: z.string(), name: z.string(), slug: z.string(), description: z.string().optional() })
  .openapi("Permission");

export const v1RoleSchema = z.object({ id: z.string(), name: z.string(), description: z.string().optional() }).openapi("Role");

export const toV1Permission = (p: PermissionView) => ({ id: p.id, name: p.name, slug: p.slug, ...(p.description !== undefined && { description: p.description }) });
export const toV1Role = (r: RoleView | Omit<RoleView, "permissions">) => ({ id: r.id, name: r.name, ...(r.description !== undefined && { description: r.description }) });

/**
 * Unkey's v1 lists take no parameters and answer everything; Keyhold answers at most `limit`
 * (1,000 unless given) in id order, and `cursor` (the last id seen) continues.
 */
export const v1ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(V1_LIST_LIMIT).optional(),
  cursor: text(1024).optional(),
});
