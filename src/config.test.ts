import { expect, test } from "vitest";
import { loadConfig } from "./config.ts";

test("VERIFY_CACHE_MAX_BYTES: 64 MiB by default, binary units, at least 1 MiB, bad values named", () => {
  expect(loadConfig({}).verifyCacheMaxBytes).toBe(64 * 2 ** 20);
  expect(loadConfig({ VERIFY_CACHE_MAX_BYTES: "2GiB" }).verifyCacheMaxBytes).toBe(2 * 2 ** 30);
  expect(loadConfig({ VERIFY_CACHE_MAX_BYTES: "1048576" }).verifyCacheMaxBytes).toBe(2 ** 20);
  for (const bad of ["512KiB", "64MB", "-1", "lots"]) {
    expect(() => loadConfig({ VERIFY_CACHE_MAX_BYTES: bad }), bad).toThrow(/^VERIFY_CACHE_MAX_BYTES must be a size/);
  }
});

test("ANALYTICS, ANALYTICS_RETENTION, ANALYTICS_ROLLUP_AFTER: on, 90 days, 7 days by default; bad values named", () => {
  const d = 86_400_000;
  expect(loadConfig({})).toMatchObject({ analytics: true, analyticsRetentionMs: 90 * d, analyticsRollupAfterMs: 7 * d });
  expect(loadConfig({ ANALYTICS: "off", ANALYTICS_RETENTION: "30d", ANALYTICS_ROLLUP_AFTER: "48h" })).toMatchObject({ analytics: false, analyticsRetentionMs: 30 * d, analyticsRollupAfterMs: 2 * d });
  expect(() => loadConfig({ ANALYTICS: "yes" })).toThrow(/^ANALYTICS must be on or off/);
  for (const bad of ["12h", "0d", "4000d", "forever"]) expect(() => loadConfig({ ANALYTICS_RETENTION: bad }), bad).toThrow(/^ANALYTICS_RETENTION must be a duration from 1d/);
  expect(() => loadConfig({ ANALYTICS_RETENTION: "5d" })).toThrow(/ANALYTICS_ROLLUP_AFTER must not be longer than ANALYTICS_RETENTION/);
});

test("KEYHOLD_PUBLIC_URL: unset by default, kept as its origin, and anything but an absolute http(s) origin is named", () => {
  expect(loadConfig({}).publicUrl).toBeNull();
  expect(loadConfig({ KEYHOLD_PUBLIC_URL: "https://keys.example.com" }).publicUrl).toBe("https://keys.example.com");
  expect(loadConfig({ KEYHOLD_PUBLIC_URL: "https://Keys.Example.com:8443/" }).publicUrl).toBe("https://keys.example.com:8443");
  expect(loadConfig({ KEYHOLD_PUBLIC_URL: "http://localhost:8787" }).publicUrl).toBe("http://localhost:8787");
  for (const bad of ["keys.example.com", "/portal", "ftp://keys.example.com", "https://keys.example.com/keyhold", "https://keys.example.com/?a=1", "https://keys.example.com#x"]) {
    expect(() => loadConfig({ KEYHOLD_PUBLIC_URL: bad }), bad).toThrow(/^KEYHOLD_PUBLIC_URL must be an absolute http:\/\/ or https:\/\/ URL without a path, such as https:\/\/keys\.example\.com, got '/);
  }
});
