import type { MiddlewareHandler } from "hono";
import { KeyholdError } from "../../errors.ts";

/**
 * For routes whose every body field is optional (v2 listPermissions, listRoles): without a
 * JSON Content-Type the body validator sees `{}` and would accept it, so a form, a text body
 * or no body at all would list instead of being refused like on every other route.
 */
export function requireJsonBody(): MiddlewareHandler {
  return async function requireJsonBody(c, next) {
    const type = c.req.header("Content-Type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type)) throw new KeyholdError("BAD_REQUEST", "The body must be JSON, sent with Content-Type: application/json.");
    await next();
  };
}
