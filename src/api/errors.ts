import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import { type ErrorCode, KeyholdError, errorBody, errorStatus } from "../errors.ts";
import { safeError } from "../safe-error.ts";
import { type V2FieldError, isV2, v2ErrorBody, v2ErrorStatus, zodFieldErrors } from "./v2/envelope.ts";
import type { AppEnv } from "./env.ts";

/**
 * The one place an error becomes an answer: v1's envelope, or v2's for a /v2/ path (its
 * statuses and shape in v2/envelope.ts). `fields` are the places a 400 points at (v2's `errors`).
 */
export function errorResponse(c: Context<AppEnv>, code: ErrorCode, message: string, fields?: V2FieldError[]): Response {
  const requestId = c.get("requestId") ?? "req_unknown";
  if (isV2(c)) return c.json(v2ErrorBody(code, message, requestId, fields), v2ErrorStatus(code) as ContentfulStatusCode);
  return c.json(errorBody(code, message, requestId), errorStatus[code]);
}

/** The one answer to a body over 1 MiB, from whichever check catches it. */
export function payloadTooLarge(c: Context<AppEnv>): Response {
  return errorResponse(c, "PAYLOAD_TOO_LARGE", "The request body is larger than 1 MiB.");
}

/** app.onError: refusals keep their code; anything unexpected is a 500 with a fixed message. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof KeyholdError) return errorResponse(c, error.code, error.message);
  if (error instanceof HTTPException) {
    // Hono's own refusals, e.g. a body that is not valid JSON.
    if (error.status === 413) return payloadTooLarge(c);
    if (error.status < 500) return errorResponse(c, "BAD_REQUEST", badRequestMessage(error));
  }
  // Reduced to safe fields: a driver error carries its query parameters (key hashes, ciphertexts).
  c.get("deps")?.logger.error({ err: safeError(error), requestId: c.get("requestId") }, "unhandled error");
  return errorResponse(c, "INTERNAL_SERVER_ERROR", "Something went wrong on our side; the request id identifies it in our logs.");
}

function badRequestMessage(error: HTTPException): string {
  if (/json/i.test(error.message)) return "The request body is not valid JSON.";
  if (error.status === 415) return "The request body must be JSON (Content-Type: application/json).";
  return "The request could not be read.";
}

/** defaultHook of every route: a schema failure becomes one readable BAD_REQUEST. */
export function validationHook(result: { success: true } | { success: false; error: ZodError }, c: Context<AppEnv>) {
  if (result.success) return;
  return errorResponse(c, "BAD_REQUEST", describeZodError(result.error), zodFieldErrors(result.error.issues));
}

export function describeZodError(error: ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "body"}: ${issue.message}`)
    .join("; ");
}

const errorCodes = Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]];

const errorEnvelope = z
  .object({
    error: z.object({
      code: z.enum(errorCodes),
      message: z.string(),
      docs: z.string(),
      requestId: z.string().openapi({ example: "req_4dgzrNP3Je5mU1tmX8uLbd" }),
    }),
  })
  .openapi("Error");

const errorResponse_ = (status: number) => ({
  description: errorCodes.filter((code) => errorStatus[code] === status).join(" or "),
  content: { "application/json": { schema: errorEnvelope } },
});

/** The error responses every route can give, for the OpenAPI document. */
export const errorResponses = {
  400: errorResponse_(400),
  401: errorResponse_(401),
  403: errorResponse_(403),
  404: errorResponse_(404),
  409: errorResponse_(409),
  412: errorResponse_(412),
  413: errorResponse_(413),
  429: errorResponse_(429),
  500: errorResponse_(500),
  503: errorResponse_(503),
};
