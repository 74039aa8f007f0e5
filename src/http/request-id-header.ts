import type { Context, Next } from "hono";

/**
 * Puts `X-Request-Id` on the answer, API and vault alike: set before the handler runs, so
 * that the response is built with it, and set again afterwards only if the response lost it.
 * Setting a header on a finished response makes @hono/node-server rebuild it as a web
 * Response with a stream: a third of a cached verify's CPU, and a seventh of a vault encrypt's.
 */
export async function withRequestIdHeader(c: Context, requestId: string, next: Next): Promise<void> {
  c.header("X-Request-Id", requestId);
  await next();
  if (c.res.headers.get("X-Request-Id") !== requestId) c.header("X-Request-Id", requestId);
}
