import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { type Harness, databaseKinds, openHarness } from "../harness.ts";
import { expectErrorEnvelope } from "../security/envelope.ts";
import { TestVault } from "../vault-harness.ts";
import { parsePrometheus, sample } from "./prometheus-text.ts";

const METRICS_TOKEN = "metrics-token-0123456789abcdef";
let h: Harness;
let tv: TestVault;

beforeAll(async () => {
  tv = await TestVault.start({ metricsToken: METRICS_TOKEN });
  // PostgreSQL when configured (faster to open than PGlite), with the verify cache on.
  h = await openHarness(databaseKinds().at(-1)!, { vault: tv.client, cache: true });
});
afterAll(async () => {
  await h?.close();
  await tv?.destroy();
});

async function scrape(app = h.app, token?: string) {
  const res = await app.request("/metrics", { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

describe("GET /metrics", () => {
  test("counters move with requests: by route and status, verify codes and latency, cache, vault calls and errors", async () => {
    const ws = await h.workspace();
    const apiId = await h.createApi(ws);
    expect((await h.post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, ws.rootKey)).status).toBe(200);
    const before = await scrape();

    const { key } = await h.createKey(ws, apiId, { recoverable: true });
    for (let i = 0; i < 3; i++) expect((await h.verify(key)).body.code).toBe("VALID");
    expect((await h.verify("sk_nope_123")).body.code).toBe("NOT_FOUND");
    expect((await h.get("/v1/apis.getApi", { apiId }, "kh_root_bogus")).status).toBe(401);
    expect((await h.call("GET", "/v1/nowhere")).status).toBe(404);
    await tv.stop();
    expect((await h.post("/v1/keys.createKey", { apiId, recoverable: true }, ws.rootKey)).status).toBe(503);
    await tv.start();

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    const verify200 = { method: "POST", route: "/v1/keys.verifyKey", status: "200" };
    expect(delta("keyhold_http_requests_total", verify200)).toBe(4);
    expect(delta("keyhold_http_requests_total", { method: "GET", route: "/*", status: "404" })).toBe(1);
    expect(delta("keyhold_http_requests_total", { method: "POST", route: "/v1/keys.createKey", status: "503" })).toBe(1);
    expect(delta("keyhold_verify_results_total", { code: "VALID" })).toBe(3);
    expect(delta("keyhold_verify_results_total", { code: "NOT_FOUND" })).toBe(1);
    expect(delta("keyhold_verify_duration_seconds_count")).toBe(4);
    expect(delta("keyhold_verify_duration_seconds_bucket", { le: "+Inf" })).toBe(4);
    expect(delta("keyhold_verify_duration_seconds_sum")).toBeGreaterThan(0);
    // Three lookups of the key (the malformed one needs none): the first misses, a repeat hits
    // (one more may miss if the key's change notice lands between them).
    expect(delta("keyhold_verify_cache_misses_total") + delta("keyhold_verify_cache_hits_total")).toBe(3);
    expect(delta("keyhold_verify_cache_hits_total")).toBeGreaterThanOrEqual(1);
    expect(sample(after, "keyhold_verify_cache_entries")).toBeGreaterThanOrEqual(1);
    expect(delta("keyhold_vault_calls_total", { op: "encrypt" })).toBe(2);
    expect(delta("keyhold_vault_errors_total", { op: "encrypt", code: "SERVICE_UNAVAILABLE" })).toBe(1);
    // The scrape itself is counted too: by the next scrape.
    expect(sample(after, "keyhold_http_requests_total", { method: "GET", route: "/metrics", status: "200" })).toBeGreaterThanOrEqual(1);
  });

  test("METRICS_TOKEN is enforced as a Bearer token: none or a wrong one is a 401 envelope", async () => {
    const app = createApp({ ...h.deps, metricsToken: METRICS_TOKEN });
    for (const headers of [{} as Record<string, string>, { Authorization: "Bearer wrong" }, { Authorization: `Bearer ${METRICS_TOKEN}x` }, { Authorization: METRICS_TOKEN }]) {
      const res = await app.request("/metrics", { headers });
      expect(res.status).toBe(401);
      expectErrorEnvelope({ status: res.status, body: await res.json(), headers: res.headers }, "UNAUTHORIZED");
    }
    const samples = await scrape(app, METRICS_TOKEN);
    // Each app has its own registry: this app has seen only its own 401s.
    expect(sample(samples, "keyhold_http_requests_total", { method: "GET", route: "/metrics", status: "401" })).toBe(4);
    expect(sample(samples, "keyhold_verify_results_total", { code: "VALID" })).toBe(0);
  });

  test("the vault's own /metrics: DEKs by age and keyrings, behind the same token", async () => {
    const ws = await h.workspace();
    const apiId = await h.createApi(ws);
    await h.post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, ws.rootKey);
    await h.createKey(ws, apiId, { recoverable: true });
    expect((await tv.vault.app.request("/metrics")).status).toBe(401);
    const samples = await scrape(tv.vault.app as unknown as typeof h.app, METRICS_TOKEN);
    expect(sample(samples, "keyhold_vault_keyrings")).toBeGreaterThanOrEqual(1);
    expect(sample(samples, "keyhold_vault_deks", { age: "lt_1d" })).toBeGreaterThanOrEqual(1);
    expect(sample(samples, "keyhold_vault_deks", { age: "ge_365d" })).toBe(0);
    expect(sample(samples, "keyhold_vault_requests_total", { method: "POST", route: "/vault.v1/encrypt", status: "200" })).toBeGreaterThanOrEqual(1);
  });
});

test("the exposition parser rejects what is not Prometheus text", () => {
  expect(() => parsePrometheus("# TYPE a counter\na 1\n")).not.toThrow();
  expect(() => parsePrometheus("a 1\n")).toThrow(/without # TYPE/);
  expect(() => parsePrometheus("# TYPE a counter\na{x=1} 1\n")).toThrow(/not Prometheus/);
});
