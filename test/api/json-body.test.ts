import { expect, test } from "vitest";
import { forEachDatabase } from "../harness.ts";
import { expectError } from "./expect-error.ts";

/**
 * What a JSON-body route answers for each way a body can be sent, through both versions, a
 * route that needs no root key (v1 verify) and one that does (createApi): the one-step
 * validator (src/http/json-body-validation.ts) answers as @hono/zod-openapi's three
 * did, and its routes stay in the OpenAPI document.
 */
forEachDatabase("JSON bodies", (h) => {
  const send = async (path: string, body: BodyInit | undefined, headers: Record<string, string>, token?: string) => {
    const res = await h().app.request(path, { method: "POST", body, headers: { ...headers, ...(token && { Authorization: `Bearer ${token}` }) } });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text), headers: res.headers };
  };

  test("another media type, malformed JSON, a body without a media type, or none: 400 in the envelope, saying which", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { key } = await h().createKey(ws, apiId);
    for (const [path, token, good] of [
      ["/v1/keys.verifyKey", undefined, { key }],
      ["/v1/apis.createApi", ws.rootKey, { name: "from-json" }],
    ] as const) {
      const json = JSON.stringify(good);
      const text = await send(path, json, { "Content-Type": "text/plain" }, token);
      expectError(text, 400, "BAD_REQUEST");
      expect(text.body.error.message).toBe("The request body must be JSON (Content-Type: application/json).");
      const malformed = await send(path, "{", { "Content-Type": "application/json" }, token);
      expectError(malformed, 400, "BAD_REQUEST");
      expect(malformed.body.error.message).toBe("The request body is not valid JSON.");
      // A Blob without a type, so that no media type is added to the request.
      const untyped = await send(path, new Blob([json]), {}, token);
      expectError(untyped, 400, "BAD_REQUEST");
      expect(untyped.body.error.message).toBe("The request body must be JSON (Content-Type: application/json).");
      // No body at all is the empty object, which the schema refuses, naming the field.
      const none = await send(path, undefined, {}, token);
      expectError(none, 400, "BAD_REQUEST");
      expect(none.body.error.message).toMatch(path.endsWith("verifyKey") ? /^key: / : /^name: /);
      for (const type of ["application/json; charset=utf-8", "application/vnd.keyhold+json"]) {
        const ok = await send(path, json, { "Content-Type": type }, token);
        expect(ok.status, `${path} ${type}: ${JSON.stringify(ok.body)}`).toBe(200);
      }
    }
  });

  test("v2 answers in its envelope, with the field the schema refused", async () => {
    const ws = await h().workspace();
    const malformed = await send("/v2/keys.verifyKey", "{", { "Content-Type": "application/json" }, ws.rootKey);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.detail).toBe("The request body is not valid JSON.");
    const missing = await send("/v2/keys.verifyKey", "{}", { "Content-Type": "application/json" }, ws.rootKey);
    expect(missing.status).toBe(400);
    expect(missing.body.error.errors[0].location).toBe("body.key");
  });

  test("the routes keep their request schemas in the OpenAPI document", async () => {
    const doc = (await (await h().app.request("/openapi.json")).json()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>> };
    for (const path of ["/v1/keys.verifyKey", "/v2/keys.verifyKey", "/v1/apis.createApi", "/v2/ratelimit.limit"]) {
      expect(Object.keys(doc.paths[path]?.post?.requestBody?.content ?? {}), path).toEqual(["application/json"]);
    }
  });
});
