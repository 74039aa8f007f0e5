import { afterAll, describe, expect, test } from "vitest";
import { killAll, post, runCli, serve, signalGroup, tempDataDir } from "./processes.ts";

afterAll(killAll);

describe("keyhold keys (through a running server)", () => {
  test("create, verify (exit code follows validity), list; a missing root key is one line", async () => {
    const server = await serve({ KEYHOLD_DATA_DIR: tempDataDir(), LOG_LEVEL: "warn" });
    const rootKey = server.stdout().match(/export ROOT_KEY=(\S+)/)![1]!;
    const { body: api } = await post(server.url, "/v1/apis.createApi", { name: "cli" }, rootKey);
    const env = { KEYHOLD_URL: server.url, KEYHOLD_ROOT_KEY: rootKey };

    const created = await runCli(["keys", "create", "--api", api.apiId, "--prefix", "sk_cli", "--name", "from-cli", "--json"], env);
    expect(created.code).toBe(0);
    const { key, keyId } = JSON.parse(created.stdout);
    expect(key).toMatch(/^sk_cli_/);

    const valid = await runCli(["keys", "verify", key], { KEYHOLD_URL: server.url });
    expect(valid.code).toBe(0);
    expect(valid.stdout).toBe(`VALID ${keyId}\n`);
    const invalid = await runCli(["keys", "verify", `${key}x`], { KEYHOLD_URL: server.url });
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe("NOT_FOUND\n");

    const listed = await runCli(["keys", "list", "--api", api.apiId], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${keyId}  ${key.slice(0, 11)}…  from-cli`);
    expect(listed.stdout).toContain("1 of 1 key(s)");
    expect(listed.stdout).not.toContain(key);

    const noRootKey = await runCli(["keys", "list", "--api", api.apiId], { KEYHOLD_URL: server.url });
    expect(noRootKey.code).toBe(1);
    expect(noRootKey.stderr).toBe("keyhold: KEYHOLD_ROOT_KEY must be set to a root key for this command\n");
    const refused = await runCli(["keys", "create", "--api", "api_missing"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^keyhold: NOT_FOUND: The API does not exist\.\n$/);

    signalGroup(server.child, "SIGTERM");
    await server.exited;
  }, 90_000);

  test("verify reads the key from stdin for - or no argument, so it stays out of the process list", async () => {
    const server = await serve({ KEYHOLD_DATA_DIR: tempDataDir(), LOG_LEVEL: "warn" });
    const rootKey = server.stdout().match(/export ROOT_KEY=(\S+)/)![1]!;
    const { body: api } = await post(server.url, "/v1/apis.createApi", { name: "cli-stdin" }, rootKey);
    const { body: created } = await post(server.url, "/v1/keys.createKey", { apiId: api.apiId, prefix: "sk_in" }, rootKey);
    const env = { KEYHOLD_URL: server.url };
    const verify = (args: string[], stdin: string | null) => runCli(["keys", "verify", ...args], env, 30_000, stdin);

    for (const [args, stdin] of [[[], created.key], [["-", "--api", api.apiId], `${created.key}\r\n`]] as const) {
      const run = await verify([...args], stdin);
      expect({ ...run, signal: undefined }, `${args.join(" ")} with the key on stdin`).toEqual({ code: 0, signal: undefined, stdout: `VALID ${created.keyId}\n`, stderr: "" });
    }
    const invalid = await verify([], `${created.key}x`);
    expect([invalid.code, invalid.stdout]).toEqual([1, "NOT_FOUND\n"]);

    for (const [args, stdin, message] of [
      [[], null, /^keyhold: no key on stdin: pipe the key in/],
      [["-"], " \n", /^keyhold: no key on stdin/],
      [[], `${created.key}\n${created.key}\n`, /^keyhold: stdin must hold exactly one key\n$/],
    ] as const) {
      const run = await verify([...args], stdin);
      const label = `${args.join(" ") || "no argument"} with stdin ${JSON.stringify(stdin)?.slice(0, 20)}`;
      expect(run.code, label).toBe(1);
      expect(run.stdout, label).toBe("");
      expect(run.stderr, label).toMatch(message);
      expect(run.stderr.trim().split("\n"), label).toHaveLength(1);
    }

    signalGroup(server.child, "SIGTERM");
    await server.exited;
  }, 120_000);
});
