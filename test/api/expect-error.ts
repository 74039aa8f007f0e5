import { expect } from "vitest";
import type { Response } from "../harness.ts";

/** The contract's error envelope with the given status and code, and a request id that matches the header. */
export function expectError(res: Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }, JSON.stringify(res.body)).toEqual({ status, code });
  expect(res.body.error.message).toEqual(expect.any(String));
  expect(res.body.error.requestId).toBe(res.headers.get("X-Request-Id"));
  expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at /); // never a stack trace
}
