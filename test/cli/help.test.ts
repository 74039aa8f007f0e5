import { afterAll, describe, expect, test } from "vitest";
import { killAll, runCli } from "./processes.ts";

afterAll(killAll);

describe("keyhold help", () => {
  test("--help lists the commands and exits 0", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: keyhold/);
    for (const command of ["serve", "migrate", "bootstrap", "keys", "vault", "doctor", "prepare", "audit"]) expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
  });

  test.each([
    ["serve", /Run the HTTP API/],
    ["migrate", /schema up to date/],
    ["bootstrap", /--name <name>[\s\S]*--json/],
    ["vault", /serve[\s\S]*status[\s\S]*create-dek[\s\S]*rotate-master[\s\S]*reencrypt/],
    ["doctor", /database, migrations, clock, vault[\s\S]*--json/],
    ["vault serve", /Run the vault alone on VAULT_PORT/],
    ["keys", /create[\s\S]*verify[\s\S]*list/],
    ["keys create", /--api <apiId>[\s\S]*--prefix <prefix>[\s\S]*--recoverable[\s\S]*--json/],
    ["keys verify", /\[key\]\n[\s\S]*exits 0 if it is valid[\s\S]*read from stdin when\s+<key> is - or left out[\s\S]*process\s+list[\s\S]*key\s+the key to verify, or - \(the default\) to read it from stdin[\s\S]*--api <apiId>/],
    ["keys list", /--api <apiId>[\s\S]*--limit <n>/],
    ["prepare", /migrated template/],
    ["audit", /verify[\s\S]*export/],
    ["audit verify", /changed,\s+deleted or reordered[\s\S]*--workspace <workspaceId>/],
    ["audit export", /NDJSON[\s\S]*--since <time>[\s\S]*--workspace <workspaceId>/],
    ["vault status", /master keys[\s\S]*--json/],
    ["vault create-dek", /--keyring <workspaceId>/],
    ["vault rotate-master", /Rewrap every DEK under the first key of VAULT_MASTER_KEYS/],
    ["vault reencrypt", /Resumable and idempotent[\s\S]*--keyring <workspaceId>[\s\S]*--json/],
  ])("%s --help describes the command", async (command, pattern) => {
    const run = await runCli([...command.split(" "), "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: keyhold ${command}`));
    expect(run.stdout).toMatch(pattern);
  });

  test("an unknown command fails", async () => {
    const run = await runCli(["serv"]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/unknown command 'serv'/);
  });
});

describe("configuration errors", () => {
  test("a bad PORT exits 1 with one line naming PORT, no stack trace", async () => {
    const run = await runCli(["serve"], { PORT: "abc" });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("keyhold: PORT must be an integer from 1 to 65535, got 'abc'\n");
    expect(run.stdout).toBe("");
  });

  test("a bad DATABASE_URL is named but its value (a password) is never echoed", async () => {
    const run = await runCli(["migrate"], { DATABASE_URL: "mysql://app:hunter2@db.internal/keys" });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(run.stderr).not.toMatch(/hunter2/);
  });

  test("every bad variable is reported in the same line", async () => {
    const run = await runCli(["bootstrap", "--json"], { PORT: "70000", LOG_LEVEL: "loud" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^keyhold: PORT must be .*got '70000'; LOG_LEVEL must be one of .*got 'loud'\n$/);
    expect(run.stdout).toBe("");
  });
});
