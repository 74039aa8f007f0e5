import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { errorResponse } from "../errors.ts";
import type { AppEnv } from "../env.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Bodies over 1 MiB are refused before they are read into memory. */
export function limitBody(): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => errorResponse(c, "PAYLOAD_TOO_LARGE", "The request body is larger than 1 MiB."),
  }) as MiddlewareHandler<AppEnv>;
}
