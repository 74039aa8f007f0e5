import { configDefaults, defineConfig } from "vitest/config";

/** Timing measurements run alone, after everything else: on two cores, parallel suites are noise to them. */
const TIMING = ["test/adversarial/08-timing.test.ts"];

export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    hookTimeout: 60_000,
    testTimeout: 30_000,
    // Two cores: a few files at a time, each with its own PGlite and PostgreSQL database.
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: "keyhold", include: ["test/**/*.test.ts", "src/**/*.test.ts"], exclude: [...configDefaults.exclude, ...TIMING] } },
      { extends: true, test: { name: "timing", include: TIMING, sequence: { groupOrder: 1 } } },
    ],
  },
});
