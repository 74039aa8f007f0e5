import { afterAll, describe, expect, test } from "vitest";
import { killAll, post, runCli, serve, signalGroup, tempDataDir } from "./processes.ts";
import { tamperTail } from "../tamper.ts";

afterAll(killAll);

describe.sequential("keyhold bootstrap and migrate on embedded PGlite", () => {
  const dataDir = tempDataDir();
  let created: { workspaceId: string; userId: string; rootKeyId: string; rootKey: string };

  test("bootstrap --json prints exactly {workspaceId, userId, rootKeyId, rootKey} and nothing else", async () => {
    const run = await runCli(["bootstrap", "--json", "--name", "acme"], { KEYHOLD_DATA_DIR: dataDir });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout.endsWith("\n")).toBe(true);
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
    created = JSON.parse(run.stdout);
    expect(Object.keys(created)).toEqual(["workspaceId", "userId", "rootKeyId", "rootKey"]);
    expect(created.workspaceId).toMatch(/^ws_\w+$/);
    expect(created.userId).toMatch(/^usr_\w{22}$/);
    expect(created.rootKeyId).toMatch(/^rk_\w+$/);
    expect(created.rootKey).toMatch(/^kh_root_\w{20,}$/);
  });

  test("migrate on the bootstrapped directory is idempotent", async () => {
    const run = await runCli(["migrate"], { KEYHOLD_DATA_DIR: dataDir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`Migrations applied to embedded PGlite in ${dataDir}.\n`);
  });

  test("bootstrap without --json says the key is shown once and makes a second workspace", async () => {
    const run = await runCli(["bootstrap"], { KEYHOLD_DATA_DIR: dataDir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Created workspace ws_\w+ in embedded PGlite.*, with its first user usr_\w+ \("Owner"\)/);
    expect(run.stdout).toMatch(/shown only this once/);
    expect(run.stdout).toMatch(/^ {2}kh_root_\w+$/m);
    expect(run.stdout).not.toContain(created.rootKey);
  });

  test("the printed root key works against a server started on the same data dir", async () => {
    const server = await serve({ KEYHOLD_DATA_DIR: dataDir });
    console.log(`[keyhold] serve on a bootstrapped data dir answered after ${server.startMs} ms`);
    expect(server.stdout()).not.toMatch(/kh_root_/); // not empty: no new workspace, no key printed
    const api = await post(server.url, "/v1/apis.createApi", { name: "from-cli" }, created.rootKey);
    expect(api.status).toBe(200);
    const key = await post(server.url, "/v1/keys.createKey", { apiId: api.body.apiId }, created.rootKey);
    expect(key.status).toBe(200);
    // The root key is the bootstrap user's: the first user of the workspace.
    const users = await post(server.url, "/v2/users.listUsers", {}, created.rootKey);
    expect(users.body.data).toEqual([{ userId: created.userId, name: "Owner", tags: [], createdAt: expect.any(Number) }]);
    const verified = await post(server.url, "/v1/keys.verifyKey", { key: key.body.key, apiId: api.body.apiId });
    expect(verified.body).toMatchObject({ valid: true, code: "VALID", keyId: key.body.keyId });
    const wrong = await post(server.url, "/v1/apis.createApi", { name: "x" }, tamperTail(created.rootKey, 2));
    expect(wrong.status).toBe(401);
    signalGroup(server.child, "SIGTERM");
    expect((await server.exited).code).toBe(0);
  });
});
