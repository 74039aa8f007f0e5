import type { MiddlewareHandler } from "hono";
import { KeyholdError } from "../../errors.ts";
import type { AppEnv } from "../env.ts";

/**
 * For an operation whose body fields are all optional: Hono's validator reads a body that is
 * not JSON (or none) as `{}`, which such a schema accepts. A request must still send JSON, as
 * for every other operation (`{}` is the way to ask for the defaults).
 */
export function requireJsonBody(): MiddlewareHandler<AppEnv> {
  return async function requireJsonBody(c, next) {
    const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase() ?? "";
    if (!/^application\/([\w.-]+\+)?json$/.test(type)) throw new KeyholdError("BAD_REQUEST", "The request body must be JSON (Content-Type: application/json).");
    await next();
  };
}
