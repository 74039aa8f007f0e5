import type { MiddlewareHandler } from "hono";
import { newRequestId } from "../../ids.ts";
import { scrubPath } from "../../safe-error.ts";
import type { AppEnv, Deps } from "../env.ts";

/** Gives every request an id (`req_…`), in the context, the X-Request-Id header and the log. */
export function requestContext(deps: Deps): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const requestId = newRequestId();
    c.set("requestId", requestId);
    c.set("deps", deps);
    c.header("X-Request-Id", requestId);
    const started = performance.now();
    await next();
    // Only if the response lost it: re-setting a header on a finished response makes
    // @hono/node-server rebuild it as a stream (a third of a cached verify's CPU).
    if (c.res.headers.get("X-Request-Id") !== requestId) c.header("X-Request-Id", requestId);
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
