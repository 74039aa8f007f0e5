import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { createTestDatabase } from "../harness.ts";
import { killAll, post, runCli, serve, signalGroup, tempDataDir } from "./processes.ts";

const serverUrl = inject("postgresUrl");

/** DATABASE_URL mode: serve and the CLI share one fresh PostgreSQL database; no embedded lock applies. */
describe.skipIf(!serverUrl).sequential("keyhold with DATABASE_URL (PostgreSQL)", () => {
  let database: { url: string; dropDatabase: () => Promise<void> };
  let dataDir = ""; // set, to prove it is not used

  beforeAll(async () => {
    dataDir = tempDataDir(); // here, not at collection: a skipped suite's afterAll never runs
    database = await createTestDatabase(serverUrl);
  });
  afterAll(async () => {
    await killAll();
    await database?.dropDatabase();
  });

  test("serve on an empty database bootstraps it, prints the key once, and a CLI bootstrap runs beside it", async () => {
    const env = { DATABASE_URL: database.url, KEYHOLD_DATA_DIR: dataDir };
    const server = await serve(env);
    console.log(`[keyhold] serve on a fresh PostgreSQL database answered after ${server.startMs} ms`);
    const keys = [...server.stdout().matchAll(/export ROOT_KEY=(kh_root_\w+)/g)].map((m) => m[1]!);
    expect(keys).toHaveLength(1);
    expect(server.stdout()).toMatch(/"database":"PostgreSQL at [^"]+\/keyhold_test_\w+"/);
    expect(server.stdout()).not.toMatch(/postgres:\/\//); // the URL (and any password) stays out of the log

    const api = await post(server.url, "/v1/apis.createApi", { name: "pg" }, keys[0]);
    expect(api.status).toBe(200);

    const run = await runCli(["bootstrap", "--json"], env);
    expect(run.code).toBe(0);
    const second = JSON.parse(run.stdout) as { rootKey: string; workspaceId: string };
    const otherApi = await post(server.url, "/v1/apis.createApi", { name: "second" }, second.rootKey);
    expect(otherApi.status).toBe(200);
    // No embedded database: only the embedded vault's own files (no VAULT_URL was given).
    expect(readdirSync(dataDir).sort()).toEqual(["service-token.json", "vault"]);

    signalGroup(server.child, "SIGTERM");
    expect((await server.exited).code).toBe(0);
  });

  test("a restart against the same database prints no new key", async () => {
    const server = await serve({ DATABASE_URL: database.url });
    expect(server.stdout()).not.toMatch(/kh_root_/);
    signalGroup(server.child, "SIGTERM");
    expect((await server.exited).code).toBe(0);
  });
});
