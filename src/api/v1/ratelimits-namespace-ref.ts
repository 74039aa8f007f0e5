import { z } from "@hono/zod-openapi";
import type { NamespaceRef } from "../../ratelimits/namespaces.ts";
import { namespaceName } from "../routes/ratelimit-schemas.ts";
import { id } from "../routes/schemas.ts";

/** v1 names a namespace by `namespaceId` or `namespaceName` (the id wins when both are sent). */
export const namespaceRefFields = { namespaceId: id("rlns_1234").optional(), namespaceName: namespaceName.optional() };

export const NEEDS_NAMESPACE = "You must provide a namespaceId or a namespaceName.";
export const hasNamespaceRef = (r: { namespaceId?: string; namespaceName?: string }) => r.namespaceId !== undefined || r.namespaceName !== undefined;

export function toNamespaceRef(r: { namespaceId?: string; namespaceName?: string }): NamespaceRef {
  return r.namespaceId !== undefined ? { id: r.namespaceId } : { name: r.namespaceName! };
}

/** v1's override, with its `async` flag. */
export const v1OverrideSchema = z
  .object({ id: z.string(), identifier: z.string(), limit: z.number().int(), duration: z.number().int(), async: z.boolean().nullable().optional() })
  .openapi("RatelimitOverride");
