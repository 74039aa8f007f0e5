import type { Registry } from "prom-client";
import { bearerToken } from "../bearer.ts";
import { constantTimeEqual } from "../crypto/subtle.ts";

/**
 * Whether a scrape may read the metrics: always when no token is configured, otherwise
 * only with `Authorization: Bearer <token>`, compared in constant time.
 */
export function metricsAuthorized(token: string | null | undefined, authorization: string | undefined): boolean {
  if (!token) return true;
  const presented = bearerToken(authorization) ?? "";
  return constantTimeEqual(presented, token);
}

/** The registry in Prometheus text format, with its content type. */
export async function exposition(registry: Registry): Promise<{ body: string; contentType: string }> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}
