import { type ErrorCode, errorBody, errorStatus } from "../../errors.ts";
import { v2ErrorBody, v2ErrorStatus } from "../v2/envelope.ts";
import type { App } from "../env.ts";
import { PORTAL_COOKIE_SCHEME, PORTAL_TOKEN_SCHEME, ROOT_KEY_SCHEME } from "../routes/route-security.ts";
import { type OperationExamples, operationExamples } from "./examples.ts";

/** An example message for each error code, shown in the document's error responses. */
const errorExamples: Record<ErrorCode, string> = {
  BAD_REQUEST: "apiId: Too small: expected string to have >=1 characters",
  UNAUTHORIZED: "The root key is missing, invalid, expired or revoked.",
  FORBIDDEN: "A root key can only grant permissions it holds itself; it does not hold api.*.decrypt_key.",
  INSUFFICIENT_PERMISSIONS: "The root key lacks the permission api.api_1Ghu6Wzaf5ZVRZcWJQ1Hfs.read_key.",
  NOT_FOUND: "The key does not exist.",
  CONFLICT: "The resource already exists.",
  PRECONDITION_FAILED: "Recovery is not enabled for this API.",
  PAYLOAD_TOO_LARGE: "The request body is larger than 1 MiB.",
  TOO_MANY_REQUESTS: "Too many requests.",
  INTERNAL_SERVER_ERROR: "Something went wrong on our side; the request id identifies it in our logs.",
  SERVICE_UNAVAILABLE: "The vault is unavailable: it did not answer in time.",
};

const info = {
  title: "Keyhold",
  version: "2",
  description:
    "Issue, verify and (opt-in) recover API keys. Wire-compatible with Unkey's v1 API (`/v1/…`) and v2 API (`/v2/…`, " +
    "`{meta, data}` envelopes), on the same data.\n\n" +
    "Admin routes need a root key (`Authorization: Bearer kh_root_…`); each operation's `x-keyhold-permissions` " +
    "lists the permissions it needs (the bare `*` grants all of them). `keys.verifyKey` and `liveness` need none.",
};

type Json = Record<string, any>;

/**
 * Serves the OpenAPI 3.1 document at /openapi.json: the routes' own schemas, plus the bearer
 * scheme, an example per error code and each operation's examples. Built once, on first request,
 * so it covers every route registered by then.
 */
export function registerOpenApiDocument(app: App): void {
  app.openAPIRegistry.registerComponent("securitySchemes", ROOT_KEY_SCHEME, {
    type: "http",
    scheme: "bearer",
    description: "A root key of your workspace, e.g. the one `keyhold serve` prints on its first start.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", PORTAL_COOKIE_SCHEME, {
    type: "apiKey",
    in: "cookie",
    name: "portal_session",
    description: "A portal session's access token, as the cookie portal.exchangeCode sets.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", PORTAL_TOKEN_SCHEME, {
    type: "http",
    scheme: "bearer",
    description: "A portal session's access token (`pts_…`, from portal.exchangeCode) as a bearer token.",
  });
  let document: Json | undefined;
  app.get("/openapi.json", (c) => c.json((document ??= buildDocument(app))));
}

function buildDocument(app: App): Json {
  const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info }) as Json;
  for (const methods of Object.values<Json>(doc.paths ?? {})) {
    for (const operation of Object.values<Json>(methods)) {
      operation.summary ??= operation.operationId;
      addExamples(operation);
    }
  }
  return doc;
}

function addExamples(operation: Json): void {
  const examples = operationExamples[operation.operationId as string];
  if (examples?.request) {
    const body = operation.requestBody?.content?.["application/json"];
    if (body) body.example = examples.request;
    const query = examples.request;
    // An array is a body (migrations.createKeys), never query parameters.
    if (!Array.isArray(query)) for (const parameter of operation.parameters ?? []) if (parameter.name in query) parameter.example = query[parameter.name];
  }
  const v2 = (operation.operationId as string).startsWith("v2.");
  for (const [status, response] of Object.entries<Json>(operation.responses ?? {})) {
    const content = response.content?.["application/json"];
    if (!content) continue;
    if (status === "200" && examples) content.example = v2 ? v2Envelope(examples) : examples.response;
    else if (status === "202") content.example = v2 ? { meta: { requestId: EXAMPLE_REQUEST_ID }, data: HELD_EXAMPLE } : HELD_EXAMPLE;
    else if (status !== "200") content.examples = errorExamplesFor(Number(status), v2);
  }
}

const EXAMPLE_REQUEST_ID = "req_1Ghu6XQhX1xw9rN5SnWw8v";
/** What a request held for approvals answers (src/api/activity-gate.ts). */
const HELD_EXAMPLE = { activityId: "act_1Ghu6ZJ4nT8dWq2xLkR7vB", status: "CONSENSUS_NEEDED" };

/** v2 examples give the `data` only; the envelope around it is the same for every operation. */
function v2Envelope(examples: OperationExamples): Json {
  return { meta: { requestId: EXAMPLE_REQUEST_ID }, data: examples.response, ...(examples.pagination && { pagination: examples.pagination }) };
}

function errorExamplesFor(status: number, v2: boolean): Json {
  const statusOf = (code: ErrorCode) => (v2 ? v2ErrorStatus(code) : errorStatus[code]);
  const body = (code: ErrorCode) => (v2 ? v2ErrorBody(code, errorExamples[code], EXAMPLE_REQUEST_ID) : errorBody(code, errorExamples[code], EXAMPLE_REQUEST_ID));
  const codes = (Object.keys(errorStatus) as ErrorCode[]).filter((code) => statusOf(code) === status);
  return Object.fromEntries(codes.map((code) => [code, { summary: code, value: body(code) }]));
}
