import { expect } from "vitest";
import { type ErrorCode, errorStatus } from "../../src/errors.ts";
import type { Response } from "../harness.ts";

/** A response body without its request ids, for "indistinguishable" comparisons. */
export function withoutRequestId(body: unknown): unknown {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === "requestId") continue;
    out[k] = k === "error" || k === "meta" ? withoutRequestId(v) : v;
  }
  return out;
}

/** An error body's human message: v1's `error.message`, v2's `error.detail`. */
export function errorMessage(body: any): string {
  return body?.meta ? body.error?.detail : body?.error?.message;
}

/** "v1" or "v2", from the envelope's shape, so tests can expect one identical answer per version. */
export function envelopeVersion(body: any): "v1" | "v2" {
  return body && typeof body === "object" && "meta" in body ? "v2" : "v1";
}

/**
 * The contract's error envelope, exactly: `{error:{code,message,docs,requestId}}`, the
 * status that belongs to the code, the request id of the X-Request-Id header, no stack trace.
 */
export function expectErrorEnvelope(res: Response, code?: ErrorCode, context = ""): void {
  if (res.body && typeof res.body === "object" && "meta" in res.body) return expectV2ErrorEnvelope(res, code, context);
  const what = `${context} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
  expect(res.status, what).toBeGreaterThanOrEqual(400);
  expect(res.status, what).toBeLessThan(500);
  expect(typeof res.body, what).toBe("object");
  expect(Object.keys(res.body ?? {}), what).toEqual(["error"]);
  const error = res.body.error;
  expect(Object.keys(error).sort(), what).toEqual(["code", "docs", "message", "requestId"]);
  expect(Object.keys(errorStatus), what).toContain(error.code);
  expect(errorStatus[error.code as ErrorCode], what).toBe(res.status);
  if (code) expect(error.code, what).toBe(code);
  expect(typeof error.message, what).toBe("string");
  expect(error.message.length, what).toBeGreaterThan(0);
  expect(typeof error.docs, what).toBe("string");
  expect(error.requestId, what).toMatch(/^req_[0-9a-f]{32}$/);
  expect(error.requestId, what).toBe(res.headers.get("X-Request-Id"));
  expect(res.headers.get("Content-Type"), what).toMatch(/^application\/json/);
  expectNoStackTrace(res);
}

/**
 * Unkey v2's error envelope, exactly: `{meta:{requestId}, error:{title, detail, status, type,
 * errors?}}`, `errors` on a 400 only; `type` names the Keyhold code (src/api/v2/envelope.ts).
 */
export function expectV2ErrorEnvelope(res: Response, code?: ErrorCode, context = ""): void {
  const what = `${context} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
  expect(res.status, what).toBeGreaterThanOrEqual(400);
  expect(Object.keys(res.body).sort(), what).toEqual(["error", "meta"]);
  expect(res.body.meta, what).toEqual({ requestId: res.headers.get("X-Request-Id") });
  expect(res.body.meta.requestId, what).toMatch(/^req_[0-9a-f]{32}$/);
  const error = res.body.error;
  expect(Object.keys(error).sort(), what).toEqual(res.status === 400 ? ["detail", "errors", "status", "title", "type"] : ["detail", "status", "title", "type"]);
  expect(error.status, what).toBe(res.status);
  expect(error.type, what).toMatch(/^\/docs\/errors#[A-Z_]+$/);
  if (code) expect(error.type, what).toBe(`/docs/errors#${code}`);
  expect(error.detail.length, what).toBeGreaterThan(0);
  if (res.status === 400) expect(error.errors.length, what).toBeGreaterThan(0);
  // identities.deleteIdentity: its SDK reads errors as problem+json (src/api/v2/identities_deleteIdentity.ts).
  expect(res.headers.get("Content-Type"), what).toMatch(/^application\/(problem\+)?json/);
  expectNoStackTrace(res);
}

export function expectNoStackTrace(res: Response): void {
  const text = typeof res.body === "string" ? res.body : JSON.stringify(res.body);
  expect(text).not.toContain("at /");
  expect(text).not.toContain(".ts:");
  expect(text).not.toContain("node_modules");
  expect(text).not.toMatch(/\bat (async )?[\w.<>]+ \(/);
}
