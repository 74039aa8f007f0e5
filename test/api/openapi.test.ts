import { afterAll, beforeAll, expect, test } from "vitest";
import { v2ErrorStatus } from "../../src/api/v2/envelope.ts";
import { type ErrorCode, errorStatus } from "../../src/errors.ts";
import { type Harness, openHarness } from "../harness.ts";
import { checkValue } from "./schema-check.ts";

/** Routes that are mounted but are not operations of the API itself. */
const NOT_OPERATIONS: Record<string, string> = {
  "/openapi.json": "this document",
  "/docs": "the API reference page (HTML)",
  "/docs/scalar.js": "the API reference page's script",
  "/metrics": "Prometheus scrape endpoint (text exposition, METRICS_TOKEN), not a client API",
};
/** Operations anyone may call: everything else needs a root key. */
const PUBLIC = ["liveness", "v2.liveness", "readyz", "keys.verifyKey", "v2.portal.exchangeCode"];
/** Operations a portal session calls (src/api/portal/): the session's cookie or its token, never a root key. */
const PORTAL_SESSION = ["v2.portal.listKeys", "v2.portal.getVerifications", "v2.portal.rerollKey", "v2.portal.revealKey", "v2.portal.createKey", "v2.portal.getActivity"];

let h: Harness;
let doc: any;
const operations = () =>
  Object.entries<Record<string, any>>(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );

beforeAll(async () => {
  h = await openHarness("pglite");
  const res = await h.call("GET", "/openapi.json");
  expect(res.status).toBe(200);
  doc = res.body;
}, 30_000);
afterAll(() => h?.close());

test("every operation declares its security: admin routes the bearer root key, public ones explicitly none or optional", () => {
  expect(doc.components.securitySchemes.rootKey).toMatchObject({ type: "http", scheme: "bearer" });
  expect(doc.components.securitySchemes.portalSession).toMatchObject({ type: "apiKey", in: "cookie", name: "portal_session" });
  for (const { op } of operations()) {
    const permissions = op["x-keyhold-permissions"];
    expect(permissions, op.operationId).toBeDefined();
    expect(Array.isArray(op.security), op.operationId).toBe(true);
    if (PUBLIC.includes(op.operationId) || PORTAL_SESSION.includes(op.operationId)) expect(permissions.rootKey, op.operationId).not.toBe("required");
    else expect(permissions.rootKey, op.operationId).toBe("required");
    expect(permissions.portalScope !== undefined, op.operationId).toBe(PORTAL_SESSION.includes(op.operationId));
    const expected = permissions.portalScope !== undefined
      ? [{ portalSession: [] }, { portalToken: [] }]
      : { required: [{ rootKey: [] }], optional: [{}, { rootKey: [] }], none: [] }[permissions.rootKey as string];
    expect(op.security, op.operationId).toEqual(expected);
    // The machine-readable permissions and the prose ones name exactly the same permissions.
    const named = (permissions.allOf as { anyOf: string[] }[]).flatMap((rule) => rule.anyOf).sort();
    const prose = [...(op.description as string).matchAll(/`((?:api|rbac|ratelimit|identity|custody|escrow|audit|portal)\.[^`]+)`/g)].map((m) => m[1]).sort();
    expect(named, op.operationId).toEqual([...new Set(prose)]);
  }
});

test("routes documented as needing a root key answer 401 without one", async () => {
  for (const { path, method, op } of operations()) {
    if (op["x-keyhold-permissions"].rootKey !== "required") continue;
    const example = op.requestBody?.content["application/json"].example ?? {};
    const res = method === "get" ? await h.call("GET", path, { query: stringValues(exampleQuery(op)) }) : await h.call("POST", path, { body: example });
    expect(res.status, op.operationId).toBe(401);
  }
});

test("every error code is documented with an example envelope", () => {
  const seen = new Set<string>();
  for (const { op } of operations()) {
    for (const [status, response] of Object.entries<any>(op.responses)) {
      if (status === "200" || status === "202") continue; // 202: a held activity (checked below), not an error
      const examples = response.content["application/json"].examples as Record<string, any>;
      // v2 answers in Unkey v2's statuses and names the code in `type` (src/api/v2/envelope.ts).
      const v2 = (op.operationId as string).startsWith("v2.");
      const statusOf = (code: ErrorCode) => (v2 ? v2ErrorStatus(code) : errorStatus[code]);
      const codes = (Object.keys(errorStatus) as ErrorCode[]).filter((code) => statusOf(code) === Number(status));
      expect(Object.keys(examples).sort(), `${op.operationId} ${status}`).toEqual(codes.sort());
      for (const [code, example] of Object.entries(examples)) {
        if (v2) expect(example.value.error.type).toBe(`/docs/errors#${code}`);
        else expect(example.value.error.code).toBe(code);
        expect(checkValue(example.value, response.content["application/json"].schema, doc.components.schemas)).toEqual([]);
        seen.add(code);
      }
    }
  }
  expect([...seen].sort()).toEqual(Object.keys(errorStatus).sort());
});

test("every operation has a response example that fits its schema and request examples the app accepts", async () => {
  const ws = await h.workspace();
  for (const { path, method, op } of operations()) {
    const ok = op.responses["200"].content["application/json"];
    expect(ok.example, `${op.operationId} response example`).toBeDefined();
    expect(checkValue(ok.example, ok.schema, doc.components.schemas), op.operationId).toEqual([]);
    const hasInput = (op.parameters ?? []).length > 0 || op.requestBody;
    if (!hasInput) continue;
    let res;
    if (method === "get") {
      const query = exampleQuery(op);
      expect(Object.keys(query).length, `${op.operationId} parameter examples`).toBeGreaterThan(0);
      res = await h.call("GET", path, { query: stringValues(query), token: ws.rootKey });
    } else {
      const example = op.requestBody.content["application/json"].example;
      expect(example, `${op.operationId} request example`).toBeDefined();
      res = await h.call("POST", path, { body: example, token: ws.rootKey });
    }
    // The example ids do not exist here: a 404 (or a verdict) shows the request itself was valid.
    expect(res.status, `${op.operationId}: ${JSON.stringify(res.body)}`).not.toBe(400);
    expect(Object.keys(op.responses), op.operationId).toContain(String(res.status));
  }
});

function exampleQuery(op: any): Record<string, unknown> {
  return Object.fromEntries((op.parameters ?? []).filter((p: any) => p.example !== undefined).map((p: any) => [p.name, p.example]));
}

function stringValues(query: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)]));
}
