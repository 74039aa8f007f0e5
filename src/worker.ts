/**
 * Cloudflare Workers entry: the same Hono app as `keyhold serve` (createApp), on PostgreSQL
 * through a Hyperdrive binding. Per request: a postgres.js client (Workers cannot share
 * sockets between requests), ended after the response. No PGlite, no migrations, no file
 * access here: run `keyhold migrate` against the database from Node. See README
 * "Cloudflare Workers" and wrangler.toml.
 */
import scalarScript from "@scalar/api-reference/browser/standalone.js"; // a Text module (wrangler.toml rules)
import playgroundScript from "./api/portal-page/assets/playground.js"; // Text modules too
import portalStyles from "./api/portal-page/assets/portal.css";
import portalScript from "./api/portal-page/assets/portal.js";
import { drizzle } from "drizzle-orm/postgres-js";
import pino, { type Logger } from "pino";
import postgres from "postgres";
import { createApp } from "./api/app.ts";
import { type TokenSigner, createTokenSigner } from "./crypto/service-token-jwt.ts";
import type { Database } from "./db/client.ts";
import * as schema from "./db/schema.ts";
import { ImportedPrefixRegistry } from "./keys/imported-prefixes.ts";
import { RECORDER_DEFAULTS, VerificationRecorder } from "./analytics/recorder.ts";
import { deleteExpiredPortalSessions } from "./portal/sessions.ts";
import { safeError } from "./safe-error.ts";
import { createHttpVaultClient } from "./vault-client/http-vault-client.ts";
import type { VaultClient } from "./vault-client/vault-client.ts";

/** The parts of the Workers runtime types this entry uses. */
interface Fetcher {
  fetch(request: Request): Promise<Response>;
}
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

export interface WorkerEnv {
  /** Hyperdrive in front of the API's PostgreSQL. */
  HYPERDRIVE: { connectionString: string };
  /** The vault as a service binding (preferred), or VAULT_URL. Neither: recoverable keys answer 503. */
  VAULT?: Fetcher;
  VAULT_URL?: string;
  /** Secret: the Ed25519 private JWK signing the API→vault tokens. */
  VAULT_TOKEN_PRIVATE_KEY?: string;
  /** Secret: GET /metrics needs it as a Bearer token. */
  METRICS_TOKEN?: string;
  LOG_LEVEL?: string;
}

let logger: Logger | undefined;
/** Where imported keys live, per isolate: no LISTEN here, so it is read again when older than IMPORTS_MAX_AGE_MS. */
let imports: { registry: ImportedPrefixRegistry; loadedAt: number } | undefined;
const IMPORTS_MAX_AGE_MS = 5000;
/** Days whose analytics partition this isolate has made sure of, so a verify's count is one upsert, not DDL too. */
const partitionDays = new Set<number>();
let signer: { jwk: string; sign: Promise<TokenSigner> } | undefined;
/**
 * Expired portal codes and sessions: `keyhold serve` deletes them every minute; a Worker has no
 * timer (and Keyhold's has no cron trigger), so the requests that add sessions sweep instead:
 * a portal.createSession deletes the expired ones after its response, at most once a minute per
 * isolate. The table then holds about an hour of sessions, however many are made.
 */
const PORTAL_SWEEP_EVERY_MS = 60_000;
const PORTAL_SWEEP_PATH = "/v2/portal.createSession";
let portalSweptAt = 0;

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    // fetch_types stays on: without it text[] columns (roles, permissions) arrive as strings.
    const sql = postgres(env.HYPERDRIVE.connectionString, { max: 5, onnotice: () => {} });
    let ended: Promise<void> = Promise.resolve();
    try {
      const db = drizzle(sql, { schema }) as unknown as Database;
      if (!imports || Date.now() - imports.loadedAt > IMPORTS_MAX_AGE_MS) {
        const registry = new ImportedPrefixRegistry();
        await registry.load(db);
        imports = { registry, loadedAt: Date.now() };
      }
      // Nothing outlives a request to batch in: the request's own counts (one verify's) are
      // written by one upsert after the response, in waitUntil, before the client ends.
      const analytics = new VerificationRecorder(db, (logger ??= workerLogger(env.LOG_LEVEL)), { ...RECORDER_DEFAULTS, flushEveryMs: null }, Date.now, partitionDays);
      const app = createApp({
        db,
        vault: vaultClient(env),
        logger: (logger ??= workerLogger(env.LOG_LEVEL)),
        verifyCache: null, // no LISTEN/NOTIFY through Hyperdrive: every verify reads the database
        rootKeyCache: null, // likewise: every root-key check reads the database
        importedPrefixes: imports.registry, // a new import verifies here within IMPORTS_MAX_AGE_MS
        lastUsed: null, // nothing outlives a request to batch in, and a write per verify is what batching avoids: not recorded here
        analytics,
        metricsToken: env.METRICS_TOKEN ?? null,
        apiReferenceScript: async () => scalarScript,
        portalAssets: async (name) => ({ "portal.js": portalScript, "portal.css": portalStyles, "playground.js": playgroundScript })[name],
      });
      const response = await app.fetch(request);
      // After the response, like the analytics write, and before the client is ended.
      ended = analytics.close().then(() => (portalSweepDue(request) ? sweepPortalSessions(db) : undefined));
      return response;
    } finally {
      ctx.waitUntil(ended.then(() => sql.end({ timeout: 5 })));
    }
  },
};

function portalSweepDue(request: Request, now = Date.now()): boolean {
  if (request.method !== "POST" || new URL(request.url).pathname !== PORTAL_SWEEP_PATH || now - portalSweptAt < PORTAL_SWEEP_EVERY_MS) return false;
  portalSweptAt = now;
  return true;
}

async function sweepPortalSessions(db: Database): Promise<void> {
  try {
    await deleteExpiredPortalSessions(db);
  } catch (error) {
    logger?.error({ err: safeError(error) }, "deleting expired portal sessions failed; the next createSession tries again");
  }
}

function vaultClient(env: WorkerEnv): VaultClient | null {
  if (!env.VAULT_TOKEN_PRIVATE_KEY || !(env.VAULT || env.VAULT_URL)) return null;
  if (signer?.jwk !== env.VAULT_TOKEN_PRIVATE_KEY) {
    signer = { jwk: env.VAULT_TOKEN_PRIVATE_KEY, sign: createTokenSigner(JSON.parse(env.VAULT_TOKEN_PRIVATE_KEY)) };
  }
  const sign = signer.sign;
  const binding = env.VAULT;
  return createHttpVaultClient({
    url: binding ? "https://vault.internal" : env.VAULT_URL!,
    signToken: async () => (await sign)(),
    ...(binding && { fetch: (url: string, init: RequestInit) => binding.fetch(new Request(url, init)) }),
  });
}

/** pino's browser build (what the bundle gets): one JSON line per record on the console, for Workers Logs. */
function workerLogger(level = "info"): Logger {
  return pino({ level, browser: { write: (record: object) => console.log(JSON.stringify(record)) } });
}
