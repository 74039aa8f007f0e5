import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { createTokenSigner, createTokenVerifier } from "../../src/crypto/service-token-jwt.ts";
import { root } from "../cli/processes.ts";

const work = mkdtempSync(join(tmpdir(), "keyhold-compose-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function readEnv(file: string): Record<string, string> {
  const lines = readFileSync(file, "utf8").trim().split("\n");
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
}

test("docker/generate-secrets.mjs writes env files the API and the vault accept, with a working token key pair", async () => {
  cpSync(join(root, "docker/generate-secrets.mjs"), join(work, "docker/generate-secrets.mjs"));
  const run = spawnSync(process.execPath, [join(work, "docker/generate-secrets.mjs")], { encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
  const secrets = join(work, "docker/secrets");
  for (const name of ["postgres.env", "vault.env", "api.env"]) expect(statSync(join(secrets, name)).mode & 0o777).toBe(0o600);

  const api = loadConfig({ ...readEnv(join(secrets, "api.env")), VAULT_URL: "http://vault:8788", NODE_ENV: "production" });
  const vault = loadConfig({ ...readEnv(join(secrets, "vault.env")), NODE_ENV: "production" });
  expect(api.databaseUrl).toMatch(/^postgres:\/\/keyhold:[^@]+@postgres:5432\/keyhold$/);
  expect(vault.vaultDatabaseUrl).toMatch(/^postgres:\/\/keyhold_vault:[^@]+@postgres:5432\/keyhold_vault$/);
  expect(Buffer.from(vault.vaultMasterKeys!, "base64")).toHaveLength(32);
  // The passwords in the URLs are the ones the PostgreSQL init script gives the roles.
  const pg = readEnv(join(secrets, "postgres.env"));
  expect(api.databaseUrl).toContain(`:${pg.KEYHOLD_DB_PASSWORD}@`);
  expect(vault.vaultDatabaseUrl).toContain(`:${pg.VAULT_DB_PASSWORD}@`);

  const sign = await createTokenSigner(JSON.parse(api.vaultTokenPrivateKey!));
  const verify = await createTokenVerifier(JSON.parse(vault.vaultTokenPublicKey!));
  expect(await verify(await sign())).toBe(true);

  // A second run never overwrites the master key.
  const again = spawnSync(process.execPath, [join(work, "docker/generate-secrets.mjs")], { encoding: "utf8" });
  expect(again.status).toBe(1);
  expect(again.stderr).toContain("Not overwriting");
});
