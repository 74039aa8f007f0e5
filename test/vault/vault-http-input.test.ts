import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTokenSigner } from "../../src/crypto/service-token.ts";
import { TestVault } from "../vault-harness.ts";

/**
 * What the vault answers at its HTTP edge, for what a caller may get wrong: every refusal
 * is the error envelope with a 4xx and the request id, never a 500, and a sound call gets
 * its answer. Sent with node:http, so that the framing (Content-Length, chunked, none) is
 * the test's, not a client library's.
 */
let tv: TestVault;
let token: string;

beforeAll(async () => {
  tv = await TestVault.start();
  token = await (await createTokenSigner(tv.tokenKeys.privateJwk))();
});
afterAll(() => tv.destroy());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { error?: { code: string; message: string; requestId: string }; encrypted?: string; keyId?: string } & Record<string, unknown>;
}

/**
 * One POST to /vault.v1/encrypt; `chunks` are written one by one (chunked unless a length is
 * given), each after the last was flushed. A server that refuses early may close the socket
 * while the rest is still being written: the answer it sent first is what counts.
 */
function encrypt(chunks: string[], headers: Record<string, string | number> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(`${tv.url}/vault.v1/encrypt`, { method: "POST", headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      answered = true;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) }));
    });
    req.on("error", (error) => (answered ? undefined : reject(error)));
    const next = (i: number): void => {
      if (answered || i === chunks.length) return void req.end();
      req.write(chunks[i]!, () => next(i + 1));
    };
    next(0);
  });
}

const json = { "content-type": "application/json" };
const sound = JSON.stringify({ keyring: "ws_edge", data: "secret", context: "key_1" });

function expectRefusal(answer: Answer, status: number, code: string, message?: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.body.error?.code).toBe(code);
  if (message) expect(answer.body.error?.message).toMatch(message);
  expect(answer.body.error?.requestId).toMatch(/^req_/);
  expect(answer.headers["x-request-id"]).toBe(answer.body.error?.requestId);
  expect(JSON.stringify(answer.body)).not.toContain("secret");
}

describe("the vault's HTTP edge", () => {
  test("a sound encrypt, with Content-Length or chunked, is sealed and carries its request id", async () => {
    for (const framing of [{ "content-length": Buffer.byteLength(sound) }, {}] as Record<string, number>[]) {
      const answer = await encrypt([sound], { ...json, ...framing });
      expect(answer.status).toBe(200);
      expect(answer.body.encrypted).toEqual(expect.any(String));
      expect(answer.body.keyId).toEqual(expect.any(String));
      expect(answer.headers["x-request-id"]).toMatch(/^req_/);
    }
  });

  test("malformed JSON, another media type, or a body without one: 400, nothing sealed", async () => {
    expectRefusal(await encrypt(['{"keyring":'], json), 400, "BAD_REQUEST", /not valid JSON/);
    expectRefusal(await encrypt([sound], { "content-type": "text/plain" }), 400, "BAD_REQUEST", /must be JSON/);
    expectRefusal(await encrypt([sound]), 400, "BAD_REQUEST", /must be JSON/);
  });

  test("what the schema refuses is named", async () => {
    expectRefusal(await encrypt([JSON.stringify({ keyring: "no spaces", data: "secret" })], json), 400, "BAD_REQUEST", /keyring/);
    expectRefusal(await encrypt([JSON.stringify({ keyring: "ws_edge", data: "" })], json), 400, "BAD_REQUEST", /data/);
    expectRefusal(await encrypt([JSON.stringify({ keyring: "ws_edge", data: "x".repeat(4097) })], json), 400, "BAD_REQUEST", /data/);
  });

  test("a body over 1 MiB is refused whether its length is declared or not", async () => {
    const big = JSON.stringify({ keyring: "ws_edge", data: "x".repeat(1024 * 1024) });
    expectRefusal(await encrypt([big], { ...json, "content-length": Buffer.byteLength(big) }), 413, "PAYLOAD_TOO_LARGE");
    const half = "x".repeat(600 * 1024);
    expectRefusal(await encrypt([`{"keyring":"ws_edge","data":"${half}`, `${half}"}`], json), 413, "PAYLOAD_TOO_LARGE");
  });

  test("no token: 401 before the body is looked at", async () => {
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = request(`${tv.url}/vault.v1/encrypt`, { method: "POST", headers: json }, (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) }));
      });
      req.on("error", reject);
      req.end('{"keyring":');
    });
    expectRefusal(answer, 401, "UNAUTHORIZED");
  });
});
