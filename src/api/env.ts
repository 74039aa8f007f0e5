import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "pino";
import type { Database } from "../db/client.ts";
import type { ScriptSource } from "./docs/api-reference.ts";
import type { PortalAssetSource } from "./portal-page/assets.ts";
import type { ApiMetrics } from "../metrics/api-metrics.ts";
import type { VerifyCache } from "../keys/verify-cache.ts";
import type { ImportedPrefixRegistry } from "../keys/imported-prefixes.ts";
import type { LastUsedRecorder } from "../keys/last-used.ts";
import type { VerificationRecorder } from "../analytics/recorder.ts";
import type { RootKeyCache } from "../auth/root-key-cache.ts";
import type { RootKeyContext } from "../auth/root-key-auth.ts";
import type { PortalSession } from "../portal/sessions.ts";
import type { ActivityRecordWriter } from "../activities/record-writer.ts";
import type { NamespaceCache } from "../ratelimits/namespace-cache.ts";
import type { PolicyCache } from "../policies/policy-cache.ts";
import type { VaultClient } from "../vault-client/vault-client.ts";
import type { RootKeyFailureLimitOptions, RootKeyFailureLimiter } from "./middleware/root-key-failures.ts";

/** What the HTTP layer is built from. No globals: tests and benchmarks build their own. */
export interface Deps {
  db: Database;
  /** null when no vault is configured: recoverable keys are then refused with 503. */
  vault: VaultClient | null;
  logger: Logger;
  /** Key records by hash for verifyKey; null: every verify reads the database. */
  verifyCache?: VerifyCache | null;
  /** Where imported keys may live (keys.migrateKeys), kept in step with the database; null: imported keys never verify. */
  importedPrefixes?: ImportedPrefixRegistry | null;
  /** Notes each VALID verify and writes `last_used_at` in batches; null: not recorded. */
  lastUsed?: LastUsedRecorder | null;
  /** Counts every verdict about a key in memory and writes them in batches (src/analytics/); null: analytics off. */
  analytics?: VerificationRecorder | null;
  /** Live root keys by hash for every root-key check; null: each one reads the database. */
  rootKeyCache?: RootKeyCache | null;
  /** Rate-limit namespaces with their overrides, kept in step with the database; null: every limit call reads them. */
  namespaceCache?: NamespaceCache | null;
  /** Each workspace's compiled policies, kept in step with the database; null: every load reads and compiles them. */
  policyCache?: PolicyCache | null;
  /** METRICS_TOKEN: GET /metrics needs it as a Bearer token; unset: metrics are open. */
  metricsToken?: string | null;
  /** Bad root keys per client before 429 (defaults in root-key-failures.ts); false: no limit. */
  rootKeyFailureLimit?: Partial<RootKeyFailureLimitOptions> | false;
  /** Set by createApp from `rootKeyFailureLimit`: this app's own counts. */
  rootKeyFailures?: RootKeyFailureLimiter | null;
  /** Set by createApp: writes the records of activities that ran at once, by group commit. */
  activityRecords?: ActivityRecordWriter;
  /** How long a held activity waits for approvals (default 24 h, src/activities/activities.ts). */
  activityTtlMs?: number;
  /** Set by createApp: the app itself, which runs a held activity's request once it is approved. */
  self?: { fetch(request: Request, env: unknown): Response | Promise<Response> };
  /** Scalar's browser script for GET /docs; unset: /docs answers 503 (see src/api/docs/). */
  apiReferenceScript?: ScriptSource;
  /** KEYHOLD_PUBLIC_URL (an origin): portal links and the portal cookie's Secure flag follow it; unset: each request's URL. */
  publicUrl?: string | null;
  /** The hosted portal page's browser files (src/api/portal-page/assets/); unset: those files are 404s. */
  portalAssets?: PortalAssetSource;
}

export interface AppEnv {
  Variables: {
    deps: Deps;
    requestId: string;
    /** Set once a root key is authenticated, for the request log. */
    workspaceId?: string;
    /** The authenticated root key, so the activity layer and the handler look it up once. */
    rootKey?: RootKeyContext;
    /** Set once a portal session is authenticated (src/api/portal/session-auth.ts), for the gate and the handler alike. */
    portalSession?: PortalSession;
    /** Set by verifyKey (v1 and v2), for the request log: the verdict and the request's tags. */
    verification?: { code: string; keyId?: string; tags?: string[] };
    /** This app's own metrics registry (set for every request). */
    metrics: ApiMetrics;
  };
}

export type App = OpenAPIHono<AppEnv>;
