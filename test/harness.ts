import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pino from "pino";
import { afterAll, beforeAll, describe, inject } from "vitest";
import { createApp } from "../src/api/app.ts";
import { portalAssetFiles } from "../src/api/portal-page/asset-files.ts";
import type { Deps } from "../src/api/env.ts";
import { insertRootKey } from "../src/auth/root-keys.ts";
import { sql } from "drizzle-orm";
import { type DatabaseHandle, type DatabaseTarget, openDatabase } from "../src/db/client.ts";
import { executeRows } from "../src/db/execute-rows.ts";
import { runMigrations } from "../src/db/migrate.ts";
import type { VaultClient } from "../src/vault-client/vault-client.ts";
import { bootstrapWorkspace } from "../src/workspaces/bootstrap.ts";
import { VerifyCache, type VerifyCacheOptions, subscribeToKeyChanges } from "../src/keys/verify-cache.ts";
import { ROOT_KEY_CACHE_DEFAULTS, RootKeyCache, subscribeToRootKeyChanges } from "../src/auth/root-key-cache.ts";
import { openImportedPrefixes } from "../src/keys/imported-prefixes.ts";
import { NamespaceCache, subscribeToRatelimitChanges } from "../src/ratelimits/namespace-cache.ts";
import { PolicyCache, subscribeToPolicyChanges } from "../src/policies/policy-cache.ts";
import { LAST_USED_DEFAULTS, LastUsedRecorder } from "../src/keys/last-used.ts";
import { RECORDER_DEFAULTS, VerificationRecorder } from "../src/analytics/recorder.ts";
import { createThrowawayDatabase } from "./throwaway-database.ts";
import { TestVault } from "./vault-harness.ts";

export type DatabaseKind = "pglite" | "postgres";

/** PGlite always; real PostgreSQL when one is configured (see global-setup.ts). */
export function databaseKinds(): DatabaseKind[] {
  return inject("postgresUrl") ? ["pglite", "postgres"] : ["pglite"];
}

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Workspace {
  workspaceId: string;
  /** Its first user, "Owner", who holds `rootKey`. */
  userId: string;
  rootKey: string;
  rootKeyId: string;
}

export class Harness {
  readonly app: ReturnType<typeof createApp>;
  /** The real vault behind `deps.vault`, for suites opened with `{ vault: true }`. */
  testVault: TestVault | undefined;
  target!: DatabaseTarget;
  options!: HarnessOptions;
  constructor(
    readonly kind: DatabaseKind,
    readonly handle: DatabaseHandle,
    readonly deps: Deps,
    private readonly dropDatabase: () => Promise<void>,
  ) {
    this.app = createApp(deps);
  }

  get db() {
    return this.handle.db;
  }

  /** An HTTP call through the real app (routing, middleware, validation, errors). */
  async call<T = any>(
    method: "GET" | "POST",
    path: string,
    options: { body?: unknown; rawBody?: string; query?: Record<string, string>; token?: string; headers?: Record<string, string> } = {},
  ): Promise<Response<T>> {
    const url = new URL(`http://keyhold.test${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["Content-Type"] ??= "application/json";
    }
    const res = await this.app.request(url.pathname + url.search, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  post<T = any>(path: string, body: unknown, token?: string) {
    return this.call<T>("POST", path, { body, token });
  }

  get<T = any>(path: string, query: Record<string, string>, token?: string) {
    return this.call<T>("GET", path, { query, token });
  }

  /** A fresh workspace with a root key holding `*`. */
  workspace(): Promise<Workspace> {
    return bootstrapWorkspace(this.db, `ws-${randomBytes(3).toString("hex")}`);
  }

  /** Another root key of the workspace, holding exactly `permissions`: the first user's, or `userId`'s. */
  async rootKey(ws: Pick<Workspace, "workspaceId">, permissions: string[], expires?: number, userId?: string): Promise<{ key: string; keyId: string }> {
    const { key, keyId } = await insertRootKey(this.db, { workspaceId: ws.workspaceId, userId, name: "test", permissions, expires });
    return { key, keyId };
  }

  async createApi(ws: Workspace, name = "api"): Promise<string> {
    const res = await this.post("/v1/apis.createApi", { name }, ws.rootKey);
    if (res.status !== 200) throw new Error(`createApi failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.apiId;
  }

  /** A new API of the workspace with recovery switched on. */
  async recoverableApi(ws: Workspace): Promise<string> {
    const apiId = await this.createApi(ws);
    const res = await this.post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, ws.rootKey);
    if (res.status !== 200) throw new Error(`updateApi failed: ${res.status} ${JSON.stringify(res.body)}`);
    return apiId;
  }

  /** A key with `body`'s settings in a workspace and API of its own, and a reader of its current state. */
  async keyFixture(body: Record<string, unknown>) {
    const ws = await this.workspace();
    const apiId = await this.createApi(ws);
    const { keyId, key } = await this.createKey(ws, apiId, body);
    const getKey = async () => (await this.get("/v1/keys.getKey", { keyId }, ws.rootKey)).body;
    return { ws, apiId, keyId, key, getKey };
  }

  async createKey(ws: Workspace, apiId: string, body: Record<string, unknown> = {}): Promise<{ keyId: string; key: string }> {
    const res = await this.post("/v1/keys.createKey", { apiId, ...body }, ws.rootKey);
    if (res.status !== 200) throw new Error(`createKey failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  verify(key: string, extra: Record<string, unknown> = {}) {
    return this.post("/v1/keys.verifyKey", { key, ...extra });
  }

  /**
   * Every row of the workspace data, for "nothing changed" checks. Not the activities and the
   * audit trail: they grow with every change asked for, refused ones too, by design (their own
   * suites check what they record).
   */
  async snapshot(): Promise<Record<string, unknown[]>> {
    const tables = ["workspaces", "users", "root_keys", "apis", "keys", "key_permissions", "key_roles", "ratelimit_windows", "ratelimit_namespaces", "ratelimit_overrides", "identities", "permissions", "roles", "role_permissions", "escrow_keys", "policies", "portals", "portal_sessions"];
    const out: Record<string, unknown[]> = {};
    for (const table of tables) {
      out[table] = await executeRows(this.db, sql.raw(`select * from ${table} order by 1, 2`));
    }
    return out;
  }

  /** Every row of every table of the API's database, the trail included: what a leak of its dump would show. */
  async dump(): Promise<Record<string, unknown[]>> {
    const tables = await executeRows<{ name: string }>(this.db, sql.raw(`select tablename as name from pg_tables where schemaname = 'public' order by 1`));
    const out: Record<string, unknown[]> = {};
    for (const { name } of tables) out[name] = await executeRows(this.db, sql.raw(`select * from "${name}"`));
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
    await this.dropDatabase();
  }
}

export interface HarnessOptions {
  vault?: VaultClient | null;
  /** A verify cache kept in step with the database's change notices. */
  cache?: boolean | Partial<VerifyCacheOptions>;
  /** PostgreSQL pool size (20 by default); 1 makes per-connection state (pg_prepared_statements) observable. */
  maxConnections?: number;
  /** A root-key cache kept in step with the database, as `keyhold serve` has; on unless false. */
  rootKeyCache?: boolean;
}

/** A harness on a fresh database of the given kind: in-memory PGlite, or a new PostgreSQL database. */
export async function openHarness(kind: DatabaseKind, options: HarnessOptions = {}): Promise<Harness> {
  let target: DatabaseTarget = { kind: "pglite", dataDir: null, template: pgliteTemplate() };
  let drop = async () => {};
  if (kind === "postgres") {
    const { url, dropDatabase } = await createTestDatabase(inject("postgresUrl"));
    target = { kind: "postgres", url, maxConnections: options.maxConnections ?? 20 };
    drop = dropDatabase;
  }
  const handle = await openDatabase(target);
  await runMigrations(handle, target);
  return instance(kind, target, handle, options, drop);
}

async function instance(
  kind: DatabaseKind,
  target: DatabaseTarget,
  handle: DatabaseHandle,
  options: HarnessOptions,
  drop: () => Promise<void>,
): Promise<Harness> {
  let verifyCache: VerifyCache | null = null;
  let unsubscribe = async () => {};
  if (options.cache) {
    verifyCache = new VerifyCache({ max: 10_000, maxBytes: 64 * 2 ** 20, ttlMs: 60_000, negativeTtlMs: 1000, ...(options.cache === true ? {} : options.cache) });
    unsubscribe = await subscribeToKeyChanges(handle, verifyCache);
  }
  const rootKeyCache = options.rootKeyCache === false ? null : new RootKeyCache(ROOT_KEY_CACHE_DEFAULTS);
  const unsubscribeRootKeys = rootKeyCache ? await subscribeToRootKeyChanges(handle, rootKeyCache) : async () => {};
  const imports = await openImportedPrefixes(handle);
  const namespaceCache = new NamespaceCache();
  const unsubscribeRatelimits = await subscribeToRatelimitChanges(handle, namespaceCache);
  const policyCache = new PolicyCache();
  const unsubscribePolicies = await subscribeToPolicyChanges(handle, policyCache);
  const logger = pino({ level: "silent" });
  // Written only when a test calls flush() (and on close): a timer would change last_used_at
  // between the "nothing changed" snapshots of other suites.
  const lastUsed = new LastUsedRecorder(handle.db, logger, { ...LAST_USED_DEFAULTS, flushEveryMs: null });
  // Likewise the verification counts: written when a test calls deps.analytics.flush().
  const analytics = new VerificationRecorder(handle.db, logger, { ...RECORDER_DEFAULTS, flushEveryMs: null });
  // In process every request comes from the one "unknown" client: the bad-root-key limit is tested over a real listener instead.
  const deps: Deps = { db: handle.db, vault: options.vault ?? null, logger, verifyCache, rootKeyCache, namespaceCache, policyCache, importedPrefixes: imports.registry, lastUsed, analytics, rootKeyFailureLimit: false, portalAssets: portalAssetFiles };
  const closeFirst = { ...handle, close: async () => (await lastUsed.close(), await analytics.close(), await unsubscribe(), await unsubscribeRootKeys(), await unsubscribeRatelimits(), await unsubscribePolicies(), await imports.close(), await handle.close()) };
  const harness = new Harness(kind, closeFirst, deps, drop);
  harness.target = target;
  harness.options = options;
  return harness;
}

/**
 * A second Keyhold instance on the same PostgreSQL database, with its own connections and
 * its own cache: how users scale out. Closing it leaves the database to its first owner.
 */
export async function openPeer(first: Harness): Promise<Harness> {
  if (first.target.kind !== "postgres") throw new Error("instances share only a real PostgreSQL");
  const handle = await openDatabase(first.target);
  return instance(first.kind, first.target, handle, first.options, async () => {});
}

let template: Blob | undefined;
function pgliteTemplate(): Blob {
  template ??= new Blob([readFileSync(inject("pgliteTemplate"))]);
  return template;
}

/** A throwaway database on the given server, dropped by the returned function. */
export async function createTestDatabase(serverUrl: string): Promise<{ url: string; dropDatabase: () => Promise<void> }> {
  const { url, drop } = await createThrowawayDatabase(serverUrl);
  return { url, dropDatabase: drop };
}

/**
 * Runs `body` once per database kind, each with its own harness opened before the tests
 * and closed after them. Tests isolate themselves by creating their own workspaces.
 */
export function forEachDatabase(
  name: string,
  body: (h: () => Harness) => void,
  options: { vault?: boolean; cache?: HarnessOptions["cache"]; rootKeyCache?: boolean } = {},
): void {
  for (const kind of databaseKinds()) {
    describe(`${name} [${kind}]`, () => {
      let harness: Harness | undefined;
      beforeAll(async () => {
        const testVault = options.vault ? await TestVault.start() : undefined;
        harness = await openHarness(kind, { vault: testVault?.client ?? null, cache: options.cache, rootKeyCache: options.rootKeyCache });
        harness.testVault = testVault;
      });
      afterAll(async () => {
        await harness?.close();
        await harness?.testVault?.destroy();
      });
      body(() => harness!);
    });
  }
}

/**
 * Two app instances, each with its own connection pool, on one throwaway PostgreSQL
 * database (cross-instance tests: caches, notices, races). Only where PostgreSQL runs.
 */
export function onTwoInstances(name: string, body: (a: () => Harness, b: () => Harness) => void, options: HarnessOptions = {}): void {
  describe.runIf(databaseKinds().includes("postgres"))(name, () => {
    let a: Harness | undefined;
    let b: Harness | undefined;
    beforeAll(async () => {
      a = await openHarness("postgres", options);
      b = await openPeer(a);
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
    });
    body(
      () => a!,
      () => b!,
    );
  });
}
