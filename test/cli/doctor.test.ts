import { chmodSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { freePort, killAll, runCli, serve, signalGroup, tempDataDir } from "./processes.ts";

afterAll(killAll);

const lines = (stdout: string) => Object.fromEntries(JSON.parse(stdout).checks.map((c: { name: string; status: string }) => [c.name, c.status]));

describe("keyhold doctor", () => {
  test("all OK beside a running server; FAIL for a readable master-key file and for a stopped vault", async () => {
    const dataDir = tempDataDir();
    const env = { KEYHOLD_DATA_DIR: dataDir, VAULT_PORT: String(await freePort()) };
    const server = await serve({ ...env, LOG_LEVEL: "warn" });

    const healthy = await runCli(["doctor"], env);
    expect(healthy.stdout).toMatch(/^OK +database +embedded PGlite .* is open in a running Keyhold \(pid \d+\)$/m);
    expect(healthy.stdout).toMatch(/^OK +vault +http:\/\/127\.0\.0\.1:\d+ answers and accepts this API's token$/m);
    expect(healthy.stdout).toMatch(/^OK +master keys +.*master\.key \(mode 600\)$/m);
    expect(healthy.code).toBe(0);

    chmodSync(join(dataDir, "vault", "master.key"), 0o644);
    const leaky = await runCli(["doctor", "--json"], env);
    expect(lines(leaky.stdout)["master keys"]).toBe("FAIL");
    expect(leaky.code).toBe(1);
    chmodSync(join(dataDir, "vault", "master.key"), 0o600);

    signalGroup(server.child, "SIGTERM");
    await server.exited;
    const stopped = await runCli(["doctor", "--json"], env);
    expect(lines(stopped.stdout)).toMatchObject({ database: "OK", migrations: "OK", clock: "OK", vault: "FAIL" });
    expect(stopped.code).toBe(1);
  }, 90_000);

  test("a production-looking setup that keeps the three secrets together is warned about", async () => {
    const run = await runCli(["doctor", "--json"], { KEYHOLD_DATA_DIR: tempDataDir(), NODE_ENV: "production", VAULT_PORT: "1" });
    const checks = JSON.parse(run.stdout).checks.filter((c: { name: string }) => c.name === "layout");
    expect(checks.map((c: { detail: string }) => c.detail).join("\n")).toMatch(/VAULT_MASTER_KEYS is not set[\s\S]*run it apart/);
  }, 60_000);
});
