import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { generateMasterKey } from "../../src/vault/master-keys.ts";
import { killAll, post, runCli, serve, signalGroup, tempDataDir } from "./processes.ts";

afterAll(killAll);

async function get(url: string, path: string, token: string) {
  const res = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as any };
}

describe("keyhold vault (embedded default)", () => {
  test("create-dek, reencrypt, rotate-master, status: keys still decrypt under only the new master key", async () => {
    const dataDir = tempDataDir();
    const env = { KEYHOLD_DATA_DIR: dataDir, LOG_LEVEL: "warn" };
    const first = await serve(env);
    const rootKey = first.stdout().match(/export ROOT_KEY=(\S+)/)![1]!;
    const workspaceId = first.stdout().match(/created workspace (ws_\w+)/)![1]!;
    const { body: api } = await post(first.url, "/v1/apis.createApi", { name: "recover" }, rootKey);
    await post(first.url, "/v1/apis.updateApi", { apiId: api.apiId, recovery: { enabled: true } }, rootKey);
    const created = [];
    for (let i = 0; i < 3; i++) created.push((await post(first.url, "/v1/keys.createKey", { apiId: api.apiId, recoverable: true }, rootKey)).body);
    signalGroup(first.child, "SIGTERM");
    expect((await first.exited).code).toBe(0);

    const dek = await runCli(["vault", "create-dek", "--keyring", workspaceId, "--json"], env);
    expect(dek.code).toBe(0);
    const { dekId } = JSON.parse(dek.stdout);

    const moved = await runCli(["vault", "reencrypt"], env);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain("moved 3 ciphertext(s)");
    expect(moved.stdout).toContain(`${dekId}: 3 ciphertext(s)`);
    expect(moved.stdout).toMatch(/DEK dek_\w+ protects nothing any more: it can be retired/);
    expect(moved.stderr).toMatch(/reencrypt: 3\/3 \(100%\)/); // plain progress lines when not a terminal
    const again = JSON.parse((await runCli(["vault", "reencrypt", "--json"], env)).stdout);
    expect(again.moved).toBe(0);

    const oldKey = readFileSync(join(dataDir, "vault", "master.key"), "utf8").trim();
    const newKey = generateMasterKey();
    const rotated = await runCli(["vault", "rotate-master", "--json"], { ...env, VAULT_MASTER_KEYS: `${newKey},${oldKey}` });
    expect(rotated.code).toBe(0);
    const report = JSON.parse(rotated.stdout);
    expect(report.rewrapped).toBe(2);
    expect(report.retirable).toHaveLength(1);

    const status = JSON.parse((await runCli(["vault", "status", "--json"], { ...env, VAULT_MASTER_KEYS: newKey })).stdout);
    expect(Object.values(status.masterKeys)).toEqual([2]);

    const second = await serve({ ...env, VAULT_MASTER_KEYS: newKey });
    for (const k of created) {
      const read = await get(second.url, `/v1/keys.getKey?keyId=${k.keyId}&decrypt=true`, rootKey);
      expect(read.body.plaintext).toBe(k.key);
    }
    signalGroup(second.child, "SIGTERM");
    await second.exited;
  }, 120_000);
});
