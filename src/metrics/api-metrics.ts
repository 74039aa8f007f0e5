import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { VerifyCache } from "../keys/verify-cache.ts";
import type { VerificationRecorder } from "../analytics/recorder.ts";

/** The API's metrics. Each app has its own registry: no global state, tests stay independent. */
export interface ApiMetrics {
  registry: Registry;
  observeRequest(method: string, route: string, status: number): void;
  observeVerify(code: string, seconds: number): void;
  observeVaultCall(op: string, errorCode: string | null): void;
}

export function createApiMetrics(options: { verifyCache?: VerifyCache | null; analytics?: VerificationRecorder | null } = {}): ApiMetrics {
  const registry = new Registry();
  const requests = new Counter({ name: "keyhold_http_requests_total", help: "HTTP requests answered, by route pattern and status.", labelNames: ["method", "route", "status"], registers: [registry] });
  const verifyResults = new Counter({ name: "keyhold_verify_results_total", help: "keys.verifyKey verdicts, by code.", labelNames: ["code"], registers: [registry] });
  const verifyDuration = new Histogram({
    name: "keyhold_verify_duration_seconds",
    help: "Time to reach a keys.verifyKey verdict (cache, database, limits), without HTTP.",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const vaultCalls = new Counter({ name: "keyhold_vault_calls_total", help: "Calls from the API to the vault, by operation.", labelNames: ["op"], registers: [registry] });
  const vaultErrors = new Counter({ name: "keyhold_vault_errors_total", help: "Vault calls that failed, by operation and error code.", labelNames: ["op", "code"], registers: [registry] });
  registerCacheMetrics(registry, options.verifyCache ?? null);
  if (options.analytics) registerAnalyticsMetrics(registry, options.analytics);
  return {
    registry,
    observeRequest: (method, route, status) => requests.inc({ method, route, status: String(status) }),
    observeVerify(code, seconds) {
      verifyResults.inc({ code });
      verifyDuration.observe(seconds);
    },
    observeVaultCall(op, errorCode) {
      vaultCalls.inc({ op });
      if (errorCode) vaultErrors.inc({ op, code: errorCode });
    },
  };
}

/** A counter kept by someone else (the verify cache, the analytics recorder), read at scrape time. */
function scrapedCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function scrapedGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** The verify cache counts for itself; these read its counters at scrape time. */
function registerCacheMetrics(registry: Registry, cache: VerifyCache | null): void {
  scrapedCounter(registry, "keyhold_verify_cache_hits_total", "verifyKey lookups answered from the cache.", () => cache?.hits ?? 0);
  scrapedCounter(registry, "keyhold_verify_cache_misses_total", "verifyKey lookups that read the database.", () => cache?.misses ?? 0);
  scrapedGauge(registry, "keyhold_verify_cache_entries", "Key records (found and not found) in the verify cache.", () => cache?.size ?? 0);
  scrapedGauge(registry, "keyhold_verify_cache_bytes", "Estimated bytes held by the verify cache (bounded by VERIFY_CACHE_MAX_BYTES).", () => cache?.bytes ?? 0);
}

/** The analytics recorder counts for itself (src/analytics/recorder.ts); read at scrape time. */
function registerAnalyticsMetrics(registry: Registry, recorder: VerificationRecorder): void {
  const counter = (name: string, help: string, read: () => number) => scrapedCounter(registry, name, help, read);
  counter("keyhold_analytics_rows_written_total", "Verification count rows (key × minute × outcome × tag set) added to the database.", () => recorder.rowsWritten);
  counter("keyhold_analytics_verifications_written_total", "Verifications those rows counted.", () => recorder.verificationsWritten);
  counter("keyhold_analytics_dropped_total", "Verifications not counted because the pending buffer was full.", () => recorder.dropped);
  counter("keyhold_analytics_write_failures_total", "Batches the database refused (their counts stay pending and are retried).", () => recorder.writeFailures);
  scrapedGauge(registry, "keyhold_analytics_flush_lag_seconds", "How long the oldest count not yet written has waited (0: nothing pending).", () => recorder.lagMs() / 1000);
  scrapedGauge(registry, "keyhold_analytics_pending_rows", "Count rows waiting for the next write.", () => recorder.size);
}
