import { z } from "@hono/zod-openapi";
import { INT32_MAX, text } from "./schemas.ts";
import type { PermissionRule } from "./route-security.ts";

/**
 * Fields of the standalone rate-limit routes (v1 `ratelimits.*`, v2 `ratelimit.*`), bounded
 * as Unkey's OpenAPI document bounds them: names and identifiers of 1–512 characters, windows
 * of 1 s to 30 days, a limit of at least 1 (an override's may be 0: it blocks), a cost of at
 * least 0 (0 reads the window without spending). Counts are 32-bit, like key limits.
 */
export const MAX_WINDOW_MS = 2_592_000_000;

export const namespaceName = text(512).openapi({ example: "email.outbound" });
export const identifier = text(512).openapi({ example: "user_123" });
export const limitValue = z.number().int().min(1).max(INT32_MAX).openapi({ example: 10 });
export const overrideLimit = z.number().int().min(0).max(INT32_MAX).openapi({ example: 100, description: "0 blocks every call." });
export const windowMs = z.number().int().min(1000).max(MAX_WINDOW_MS).openapi({ example: 60_000, description: "Window length in ms." });
export const cost = z.number().int().min(0).max(INT32_MAX).openapi({ example: 1, description: "What the call spends (default 1; 0 only reads)." });

/** Who may call what: the workspace-wide or the per-namespace form of each action. */
export const ratelimitPermission = (action: string, when?: string): PermissionRule => ({
  anyOf: [`ratelimit.*.${action}`, `ratelimit.<namespaceId>.${action}`],
  ...(when !== undefined && { when }),
});
export const createNamespacePermission: PermissionRule = { anyOf: ["ratelimit.*.create_namespace"], when: "the namespace does not exist yet" };

export const LIMIT_DESCRIPTION =
  "Counts the call in the window of `identifier` in `namespace` (a name, or a namespace id `rlns_…`) and says whether it fits: " +
  "exact on any number of instances (one atomic upsert). An override of the identifier (exact, else the oldest matching wildcard) " +
  "replaces `limit` and `duration`. A namespace name used for the first time creates the namespace.";
