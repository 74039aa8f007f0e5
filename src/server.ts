import type { Server, ServerResponse } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { createApp } from "./api/app.ts";
import { scalarScriptFile } from "./api/docs/scalar-script-file.ts";
import { portalAssetFiles } from "./api/portal-page/asset-files.ts";
import { answerClientErrors } from "./client-errors.ts";
import { type Config, databaseTarget, describeDatabase, listenUrl } from "./config.ts";
import { type Database, openDatabase } from "./db/client.ts";
import { runMigrations } from "./db/migrate.ts";
import { withTemplate } from "./db/pglite-template.ts";
import { KeyholdError } from "./errors.ts";
import { createLogger } from "./logger.ts";
import { VerifyCache, subscribeToKeyChanges } from "./keys/verify-cache.ts";
import { openImportedPrefixes } from "./keys/imported-prefixes.ts";
import { LastUsedRecorder } from "./keys/last-used.ts";
import { VerificationRecorder } from "./analytics/recorder.ts";
import { MAINTAIN_EVERY_MS, maintainAnalytics } from "./analytics/retention.ts";
import { Periodic } from "./periodic.ts";
import { CHAIN_EVERY_MS, chainAllPending } from "./audit/chain.ts";
import { endInterruptedActivities } from "./activities/activities.ts";
import { deleteExpiredPortalSessions } from "./portal/sessions.ts";
import { WINDOW_PRUNE_EVERY_MS, pruneExpiredWindows } from "./ratelimits/windows.ts";
import { NamespaceCache, subscribeToRatelimitChanges } from "./ratelimits/namespace-cache.ts";
import { PolicyCache, subscribeToPolicyChanges } from "./policies/policy-cache.ts";
import { ROOT_KEY_CACHE_DEFAULTS, RootKeyCache, subscribeToRootKeyChanges } from "./auth/root-key-cache.ts";
import type { VaultClient } from "./vault-client/vault-client.ts";
import { welcomeText } from "./welcome.ts";
import { type Bootstrapped, bootstrapWorkspace, countWorkspaces } from "./workspaces/bootstrap.ts";

export interface ServerHandle {
  url: string;
  port: number;
  /** The workspace made on this start, if the database was empty. */
  bootstrapped: Bootstrapped | null;
  /** Stops accepting, lets in-flight requests finish (up to a grace period), then closes the database. */
  close(): Promise<void>;
}

export interface ServerOptions {
  logger?: Logger;
  vault?: VaultClient | null;
  /** Where the first-start welcome (root key, walk-through) goes. */
  print?: (text: string) => void;
  /** How long close() waits for in-flight requests before cutting connections. */
  graceMs?: number;
}

/** Opens the database, migrates, bootstraps an empty one, and serves the API on config.port. */
export async function startServer(config: Config, options: ServerOptions = {}): Promise<ServerHandle> {
  const logger = options.logger ?? createLogger(config);
  const target = withTemplate(databaseTarget(config));
  const database = await openDatabase(target);
  let lastUsed: LastUsedRecorder | undefined;
  let analytics: VerificationRecorder | undefined;
  try {
    await runMigrations(database, target);
    const bootstrapped = await bootstrapIfEmpty(database.db);
    const verifyCache = config.verifyCacheSize > 0 ? new VerifyCache({ max: config.verifyCacheSize, maxBytes: config.verifyCacheMaxBytes, ttlMs: config.verifyCacheTtlMs, negativeTtlMs: config.verifyCacheNegativeTtlMs }) : null;
    const unsubscribe = verifyCache ? await subscribeToKeyChanges(database, verifyCache) : async () => {};
    const rootKeyCache = config.rootKeyCacheSize > 0 ? new RootKeyCache({ ...ROOT_KEY_CACHE_DEFAULTS, max: config.rootKeyCacheSize }) : null;
    const unsubscribeRootKeys = rootKeyCache ? await subscribeToRootKeyChanges(database, rootKeyCache) : async () => {};
    const imports = await openImportedPrefixes(database);
    const namespaceCache = new NamespaceCache();
    const unsubscribeRatelimits = await subscribeToRatelimitChanges(database, namespaceCache);
    const policyCache = new PolicyCache();
    const unsubscribePolicies = await subscribeToPolicyChanges(database, policyCache);
    lastUsed = new LastUsedRecorder(database.db, logger);
    analytics = config.analytics ? new VerificationRecorder(database.db, logger) : undefined;
    // Partitions ahead, rollup and retention of the analytics counts, by any instance (serialised in the database).
    const retention = { retentionMs: config.analyticsRetentionMs, rollupAfterMs: config.analyticsRollupAfterMs };
    const analyticsUpkeep = config.analytics ? new Periodic("analytics partitions, rollup and retention", () => maintainAnalytics(database.db, retention, Date.now()), MAINTAIN_EVERY_MS, logger) : null;
    await analyticsUpkeep?.run();
    // Ended windows of every instance, pruned by any of them (the delete is idempotent).
    const windowPruner = new Periodic("pruning ended rate-limit windows", () => pruneExpiredWindows(database.db, Date.now()), WINDOW_PRUNE_EVERY_MS, logger);
    // Audit entries requests recorded, linked onto their chains soon after (any instance may: the chain's head is locked).
    const auditChainer = new Periodic("linking audit entries", () => chainAllPending(database.db), CHAIN_EVERY_MS, logger);
    // What a crashed instance left running is ended as interrupted (any instance may: the update is conditional).
    const interruptionSweep = new Periodic("ending interrupted activities", () => endInterruptedActivities(database.db), 60_000, logger);
    // Portal codes never exchanged in time and sessions that ended (any instance may: the delete is idempotent).
    const portalSweep = new Periodic("deleting expired portal sessions", () => deleteExpiredPortalSessions(database.db, Date.now()), 60_000, logger);
    const app = createApp({ db: database.db, vault: options.vault ?? null, logger, verifyCache, rootKeyCache, namespaceCache, policyCache, activityTtlMs: config.activityTtlMs, importedPrefixes: imports.registry, lastUsed, analytics: analytics ?? null, metricsToken: config.metricsToken, apiReferenceScript: scalarScriptFile, portalAssets: portalAssetFiles, publicUrl: config.publicUrl, rootKeyFailureLimit: { trustProxy: config.trustProxy } });
    const server = createAdaptorServer({ fetch: app.fetch, hostname: config.host }) as Server;
    answerClientErrors(server, logger);
    await listen(server, config.port, config.host);
    const url = listenUrl(config.host, config.port);
    if (bootstrapped) (options.print ?? ((text) => process.stdout.write(text)))(welcomeText(bootstrapped, url));
    logger.info(
      { database: describeDatabase(config), vault: options.vault ? "configured" : "none", startupMs: Math.round(performance.now()) },
      `Keyhold listening on ${url}`,
    );
    let closing: Promise<void> | undefined;
    const closeDatabase = async () => {
      await lastUsed?.close(); // after the last request, before the database goes: the last second of verifies is kept
      await analytics?.close(); // likewise every count still pending: a SIGTERM loses none
      await analyticsUpkeep?.close();
      await windowPruner.close();
      await auditChainer.close();
      await interruptionSweep.close();
      await portalSweep.close();
      await chainAllPending(database.db); // after the last request: every entry it recorded is on the chain
      await unsubscribe();
      await unsubscribeRootKeys();
      await unsubscribeRatelimits();
      await unsubscribePolicies();
      await imports.close();
      await database.close();
    };
    const close = () => (closing ??= shutDown(server, closeDatabase, options.graceMs ?? 10_000));
    return { url, port: config.port, bootstrapped, close };
  } catch (error) {
    await lastUsed?.close(); // nothing noted yet: this only stops its timer
    await analytics?.close();
    await database.close();
    throw error;
  }
}

/**
 * The first workspace, made once: an advisory lock serialises instances starting together
 * against one empty PostgreSQL (on PGlite it is a no-op).
 */
async function bootstrapIfEmpty(db: Database): Promise<Bootstrapped | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7264840)`);
    if ((await countWorkspaces(tx)) > 0) return null;
    return bootstrapWorkspace(tx);
  });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") reject(new KeyholdError("CONFLICT", `Port ${port} on ${host} is already in use; set PORT to a free port.`));
      else if (error.code === "EADDRNOTAVAIL") reject(new KeyholdError("BAD_REQUEST", `HOST ${host} is not an address of this machine.`));
      else reject(error);
    });
    server.listen(port, host, () => resolve());
  });
}

async function shutDown(server: Server, closeDatabase: () => Promise<void>, graceMs: number): Promise<void> {
  // Requests still arriving on open keep-alive connections are answered with
  // `Connection: close`, so clients stop reusing them instead of racing the sweep below.
  server.on("request", (_req, res: ServerResponse) => (res.shouldKeepAlive = false));
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive sockets between requests would hold close() open: drop them as they go idle.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  await stopped;
  clearInterval(sweep);
  clearTimeout(cut);
  await closeDatabase();
}
