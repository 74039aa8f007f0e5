import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import { bearerToken } from "../../bearer.ts";
import type { TokenVerifier } from "../../crypto/service-token.ts";
import { ERRORS_DOC_PATH, errorsPage } from "../../error-docs.ts";
import { limitBody } from "../../http/body-limit.ts";
import { validateJsonBodiesInOneStep } from "../../http/json-body-validation.ts";
import { withRequestIdHeader } from "../../http/request-id-header.ts";
import { type ErrorCode, errorBody, errorStatus } from "../../errors.ts";
import { newRequestId } from "../../ids.ts";
import { exposition, metricsAuthorized } from "../../metrics/scrape.ts";
import { createVaultMetrics } from "../../metrics/vault-metrics.ts";
import { safeError } from "../../safe-error.ts";
import type { Keyrings } from "../keyrings.ts";
import { VaultError } from "../vault-error.ts";
import { registerKeyPairRoutes } from "./key-pair-routes.ts";
import { type VaultEnv, context, encrypted, keyring, post, purpose } from "./route-kit.ts";

export interface VaultDeps {
  keyrings: Keyrings;
  verifyToken: TokenVerifier;
  logger: Logger;
  /** METRICS_TOKEN: GET /metrics needs it as a Bearer token; unset: metrics are open. */
  metricsToken?: string | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const vaultErrorCodes: Record<VaultError["code"], ErrorCode> = {
  DECRYPT_FAILED: "BAD_REQUEST",
  MALFORMED_CIPHERTEXT: "BAD_REQUEST",
  UNKNOWN_DEK: "BAD_REQUEST",
  MASTER_KEY_MISSING: "INTERNAL_SERVER_ERROR",
  STORAGE_FAILED: "SERVICE_UNAVAILABLE",
  INVALID_TARGET_KEY: "BAD_REQUEST",
};

function fail(c: Context<VaultEnv>, code: ErrorCode, message: string): Response {
  return c.json(errorBody(code, message, c.get("requestId")), errorStatus[code]);
}

/** What a route's schema refuses: 400, naming each field. */
function refuseInvalid(result: { success: true } | { success: false; error: z.ZodError }, c: Context<VaultEnv>): Response | undefined {
  return result.success ? undefined : fail(c, "BAD_REQUEST", result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
}

/** A value to seal, and what sealing it answers: encrypt takes one, encryptMany a list. */
const plainValue = z.object({ keyring, data: z.string().min(1).max(4096), context });
const sealedValue = z.object({ encrypted: z.string(), keyId: z.string() });

const encryptRoute = post("/vault.v1/encrypt", plainValue, sealedValue, "Seals `data` with the keyring's current DEK, bound to `context`.");
const encryptManyRoute = post(
  "/vault.v1/encryptMany",
  z.object({ items: z.array(plainValue).min(1).max(100) }),
  z.object({ items: z.array(sealedValue) }),
  "Seals many values in one call, each with its keyring's current DEK and bound to its context (the API sends the encryptions of concurrent requests together); fails whole if any fails.",
);
const decryptRoute = post(
  "/vault.v1/decrypt",
  z.object({ keyring, encrypted, context }),
  z.object({ plaintext: z.string() }),
  "Opens a ciphertext made for this keyring and context.",
);
const decryptManyRoute = post(
  "/vault.v1/decryptMany",
  z.object({ keyring, items: z.array(z.object({ encrypted, context })).max(1000) }),
  z.object({ plaintexts: z.array(z.string()) }),
  "Opens many ciphertexts of one keyring in one call; fails whole if any fails.",
);
const reEncryptRoute = post(
  "/vault.v1/reEncrypt",
  z.object({ keyring, encrypted, context, purpose: purpose.default("value") }),
  z.object({ encrypted: z.string(), keyId: z.string() }),
  "Moves a ciphertext onto the keyring's current DEK (`purpose` keyPair: a private key from createKeyPair, which stays sealed).",
);
const createDekRoute = post(
  "/vault.v1/createDEK",
  z.object({ keyring }),
  z.object({ keyId: z.string() }),
  "Starts a new current DEK for the keyring.",
);

/** The vault's own HTTP app: every route but liveness needs the API's signed token. */
export function createVaultApp(deps: VaultDeps): OpenAPIHono<VaultEnv> {
  const app = new OpenAPIHono<VaultEnv>({ defaultHook: refuseInvalid });
  // Every POST's body in one synchronous step, as the API does (src/http/json-body-validation.ts).
  validateJsonBodiesInOneStep(app, refuseInvalid as never);
  const metrics = createVaultMetrics(deps.keyrings);
  app.use("*", async function vaultRequest(c, next) {
    const requestId = newRequestId();
    c.set("requestId", requestId);
    const started = performance.now();
    await withRequestIdHeader(c, requestId, next);
    metrics.observeRequest(/^[A-Z]{1,10}$/.test(c.req.method) ? c.req.method : "OTHER", c.req.routePath, c.res.status);
    if (!deps.logger.isLevelEnabled("info")) return;
    // One line per request, like the API's; bodies and the token are never logged.
    const fields = { requestId, method: c.req.method, route: c.req.routePath, status: c.res.status };
    deps.logger.info({ ...fields, latencyMs: Math.round((performance.now() - started) * 100) / 100 }, "request");
  });
  app.get("/vault.v1/liveness", (c) => c.json({ status: "ok" }));
  app.get(ERRORS_DOC_PATH, errorsPage); // the `docs` link of the vault's error bodies
  // Outside /vault.v1/*: scraped with METRICS_TOKEN, not the API's service token.
  app.get("/metrics", async (c) => {
    if (!metricsAuthorized(deps.metricsToken, c.req.header("Authorization"))) return fail(c, "UNAUTHORIZED", "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.");
    const { body, contentType } = await exposition(metrics.registry);
    return c.body(body, 200, { "Content-Type": contentType });
  });
  app.use("/vault.v1/*", requireToken(deps.verifyToken));
  app.use("/vault.v1/*", limitBody<VaultEnv>((c) => fail(c, "PAYLOAD_TOO_LARGE", "Body over 1 MiB.")));

  const { keyrings } = deps;
  const seal = async (value: z.infer<typeof plainValue>): Promise<z.infer<typeof sealedValue>> => {
    const r = await keyrings.encrypt(value.keyring, encoder.encode(value.data), value.context);
    return { encrypted: r.encrypted, keyId: r.dekId };
  };
  app.openapi(encryptRoute, async (c) => c.json(await seal(c.req.valid("json")), 200));
  app.openapi(encryptManyRoute, async (c) => {
    const items = [];
    for (const value of c.req.valid("json").items) items.push(await seal(value));
    return c.json({ items }, 200);
  });
  app.openapi(decryptRoute, async (c) => {
    const b = c.req.valid("json");
    return c.json({ plaintext: decoder.decode(await keyrings.decrypt(b.keyring, b.encrypted, b.context)) }, 200);
  });
  app.openapi(decryptManyRoute, async (c) => {
    const b = c.req.valid("json");
    const plaintexts = [];
    for (const item of b.items) plaintexts.push(decoder.decode(await keyrings.decrypt(b.keyring, item.encrypted, item.context)));
    return c.json({ plaintexts }, 200);
  });
  app.openapi(reEncryptRoute, async (c) => {
    const b = c.req.valid("json");
    const r = await keyrings.reEncrypt(b.keyring, b.encrypted, b.context, b.purpose);
    return c.json({ encrypted: r.encrypted, keyId: r.dekId }, 200);
  });
  app.openapi(createDekRoute, async (c) => c.json({ keyId: await keyrings.createDek(c.req.valid("json").keyring) }, 200));
  registerKeyPairRoutes(app, keyrings);
  app.get("/vault.v1/keyring", async (c) => {
    const name = keyring.safeParse(c.req.query("keyring"));
    if (!name.success) return fail(c, "BAD_REQUEST", "keyring: invalid");
    const summary = await keyrings.describe(name.data);
    return summary ? c.json(summary) : fail(c, "NOT_FOUND", "No such keyring.");
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "serviceToken", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  app.doc31("/vault.v1/openapi.json", { openapi: "3.1.0", info: { title: "Keyhold vault", version: "1" } });
  app.notFound((c) => fail(c, "NOT_FOUND", "No such route."));
  app.onError((error, c) => {
    if (error instanceof VaultError) {
      deps.logger.warn({ requestId: c.get("requestId"), vaultError: error.code }, error.message);
      return fail(c, vaultErrorCodes[error.code], error.message);
    }
    if (error instanceof TypeError && /decode|encoded data/i.test(error.message)) return fail(c, "BAD_REQUEST", "Decrypted data is not UTF-8.");
    if (error instanceof HTTPException && error.status === 415) return fail(c, "BAD_REQUEST", "The request body must be JSON (Content-Type: application/json).");
    if (error instanceof HTTPException && error.status < 500) return fail(c, "BAD_REQUEST", "The request body is not valid JSON.");
    deps.logger.error({ err: safeError(error), requestId: c.get("requestId") }, "vault error");
    return fail(c, "INTERNAL_SERVER_ERROR", "The vault failed; the request id identifies it in its logs.");
  });
  return app;
}

function requireToken(verify: TokenVerifier): MiddlewareHandler<VaultEnv> {
  return async function requireToken(c, next) {
    const token = bearerToken(c.req.header("Authorization"));
    if (!token || !(await verify(token))) return fail(c, "UNAUTHORIZED", "A valid, unexpired service token is required.");
    await next();
  };
}
