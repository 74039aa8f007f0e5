import type { JWK } from "jose";
import pino from "pino";
import { createApp } from "../../src/api/app.ts";
import { type DatabaseTarget, openDatabase } from "../../src/db/client.ts";
import { VerifyCache, subscribeToKeyChanges } from "../../src/keys/verify-cache.ts";
import { LastUsedRecorder } from "../../src/keys/last-used.ts";
import { VerificationRecorder } from "../../src/analytics/recorder.ts";
import { ROOT_KEY_CACHE_DEFAULTS, RootKeyCache, subscribeToRootKeyChanges } from "../../src/auth/root-key-cache.ts";
import { NamespaceCache, subscribeToRatelimitChanges } from "../../src/ratelimits/namespace-cache.ts";
import { PolicyCache, subscribeToPolicyChanges } from "../../src/policies/policy-cache.ts";
import { nodeVaultClient } from "../../src/vault-client/from-config.ts";
import { childConfig, serveChild } from "./serve-child.ts";

export interface KeyholdChildConfig {
  database: DatabaseTarget;
  /** One app (and listener) per entry, all on one database handle: `cache` gives it a VerifyCache; `analytics: false` records no counts (on by default, as `keyhold serve`). */
  apps: { cache: boolean; analytics?: boolean }[];
  vault: { url: string; privateJwk: JWK } | null;
  /** `warn` by default: the per-request access log (info) would measure pino's stdout, not Keyhold. */
  logLevel: string;
}

/** Same settings as the test harness: 10 000 entries, 60 s for found keys, 1 s for unknown ones. */
export const BENCH_CACHE = { max: 10_000, maxBytes: 64 * 2 ** 20, ttlMs: 60_000, negativeTtlMs: 1000 };

const config = childConfig<KeyholdChildConfig>();
const handle = await openDatabase(config.database);
const logger = pino({ level: config.logLevel });
// The client `keyhold serve` builds (its transport, kept-alive node:http, not fetch; its 5 s timeout).
const vault = config.vault ? await nodeVaultClient(config.vault.url, config.vault.privateJwk) : null;
// One per instance, as `keyhold serve` has: every VALID verify is noted, written once a second.
const lastUsed = new LastUsedRecorder(handle.db, logger);
// Likewise the verification counts: one recorder per process, flushed every 5 s.
const analytics = new VerificationRecorder(handle.db, logger);
const caches: VerifyCache[] = [];
const unsubscribes: (() => Promise<void>)[] = [];
const apps = [];
for (const { cache, analytics: counted = true } of config.apps) {
  const verifyCache = cache ? new VerifyCache(BENCH_CACHE) : null;
  if (verifyCache) {
    caches.push(verifyCache);
    unsubscribes.push(await subscribeToKeyChanges(handle, verifyCache));
  }
  // Every app has a root-key cache, as `keyhold serve` has by default; `cache` is about verify only.
  const rootKeyCache = new RootKeyCache(ROOT_KEY_CACHE_DEFAULTS);
  unsubscribes.push(await subscribeToRootKeyChanges(handle, rootKeyCache));
  // And a rate-limit namespace cache, as `keyhold serve` has.
  const namespaceCache = new NamespaceCache();
  unsubscribes.push(await subscribeToRatelimitChanges(handle, namespaceCache));
  // And a policy cache (compiled policies per workspace, for the activity layer), as `keyhold serve` has.
  const policyCache = new PolicyCache();
  unsubscribes.push(await subscribeToPolicyChanges(handle, policyCache));
  apps.push(createApp({ db: handle.db, vault, logger, verifyCache, rootKeyCache, namespaceCache, policyCache, lastUsed, analytics: counted ? analytics : null }));
}

await serveChild(apps, {
  stats: () => ({ caches: caches.map((c) => ({ hits: c.hits, misses: c.misses, size: c.size })) }),
  close: async () => {
    await lastUsed.close();
    await analytics.close();
    for (const unsubscribe of unsubscribes) await unsubscribe();
    await handle.close();
  },
});
