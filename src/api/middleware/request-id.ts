import type { MiddlewareHandler } from "hono";
import { withRequestIdHeader } from "../../http/request-id-header.ts";
import { newRequestId } from "../../ids.ts";
import { scrubPath } from "../../safe-error.ts";
import type { AppEnv, Deps } from "../env.ts";

/** Gives every request an id (`req_…`), in the context, the X-Request-Id header and the log. */
export function requestContext(deps: Deps): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const requestId = newRequestId();
    c.set("requestId", requestId);
    c.set("deps", deps);
    const started = performance.now();
    await withRequestIdHeader(c, requestId, next);
    if (!deps.logger.isLevelEnabled("info")) return;
    deps.logger.info(
      {
        requestId,
        method: c.req.method,
        route: c.req.routePath,
        // A mistaken client may put a key in the path (an unknown route): scrubbed. The query is never logged.
        path: scrubPath(c.req.path),
        status: c.res.status,
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
        workspaceId: c.get("workspaceId"),
        verification: c.get("verification"),
      },
      "request",
    );
  };
}
