import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { payloadTooLarge } from "../errors.ts";
import type { AppEnv } from "../env.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Bodies over 1 MiB are refused before they are read into memory. A declared
 * Content-Length (without Transfer-Encoding) is decided from the header alone, as Hono's
 * bodyLimit would, but without touching `c.req.raw.body`: on @hono/node-server that
 * turns the request into a full web Request with a stream, which cost a verify ~10% of
 * its CPU. Node's HTTP parser never delivers more bytes than Content-Length declares.
 */
export function limitBody(): MiddlewareHandler<AppEnv> {
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: payloadTooLarge,
  }) as MiddlewareHandler<AppEnv>;
  return async function limitBody(c, next) {
    if (c.req.header("transfer-encoding") === undefined) {
      const length = c.req.header("content-length");
      if (length !== undefined) {
        if (Number.parseInt(length, 10) > MAX_BODY_BYTES) return payloadTooLarge(c);
        return next();
      }
      // A GET's body is never read by any route, so there is nothing to limit: getKey, listKeys
      // and getApi skip the web Request that Hono's bodyLimit would build for each of them.
      if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    }
    return limit(c, next);
  };
}
