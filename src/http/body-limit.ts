import type { Context, Env, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/** The largest body the API and the vault read. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Bodies over `MAX_BODY_BYTES` are refused before they are read into memory, by the API and
 * the vault alike, each with its own error envelope (`tooLarge`). A declared Content-Length
 * (without Transfer-Encoding) is decided from the header alone, as Hono's bodyLimit would,
 * but without touching `c.req.raw.body`: on @hono/node-server that turns the request into a
 * full web Request with a stream, which cost a verify ~10% of its CPU and the vault a fifth
 * of an encrypt's. Node's HTTP parser never delivers more bytes than Content-Length declares.
 * Only a body without a declared length (chunked) goes through Hono's bodyLimit, which counts
 * it as it is read.
 */
export function limitBody<E extends Env>(tooLarge: (c: Context<E>) => Response): MiddlewareHandler<E> {
  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge as never }) as MiddlewareHandler<E>;
  return async function limitBody(c, next) {
    if (c.req.header("transfer-encoding") === undefined) {
      const length = c.req.header("content-length");
      if (length !== undefined) {
        if (Number.parseInt(length, 10) > MAX_BODY_BYTES) return tooLarge(c);
        return next();
      }
      // A GET's body is never read by any route of either service, so there is nothing to limit:
      // getKey, listKeys and getApi skip the web Request that Hono's bodyLimit would build for each.
      if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    }
    return limit(c, next);
  };
}
