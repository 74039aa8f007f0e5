import type { TestProject } from "vitest/node";

/**
 * Decides which PostgreSQL the suites run against besides PGlite: TEST_DATABASE_URL if
 * set; otherwise a testcontainers PostgreSQL when a Docker engine answers; otherwise none,
 * with one line saying why.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Every suite opens PGlite databases; starting them from one migrated dump saves seconds each.
  const { buildTemplate } = await import("../src/db/pglite-template.ts");
  project.provide("pgliteTemplate", await buildTemplate());
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    project.provide("postgresUrl", url);
    return async () => {};
  }
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
  } catch (error) {
    console.log(`[keyhold] PostgreSQL suites skipped: no TEST_DATABASE_URL and no Docker engine (${firstLine(error)})`);
    project.provide("postgresUrl", "");
    return async () => {};
  }
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  const container = await new PostgreSqlContainer("postgres:16-alpine").start();
  project.provide("postgresUrl", container.getConnectionUri());
  return async () => {
    await container.stop();
  };
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0]!;
}

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string;
    pgliteTemplate: string;
  }
}
