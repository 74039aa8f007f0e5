import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    hookTimeout: 60_000,
    testTimeout: 30_000,
    // Two cores: a few files at a time, each with its own PGlite and PostgreSQL database.
    maxWorkers: 3,
  },
});
