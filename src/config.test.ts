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
