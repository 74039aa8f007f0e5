import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, inject, test } from "vitest";
import { openDatabase } from "../../src/db/client.ts";
import { withTemplate } from "../../src/db/pglite-template.ts";
import { createTestDatabase, databaseKinds } from "../harness.ts";
import { type Served, killAll, post, runCli, serve, signalGroup, sleep, tempDataDir } from "./processes.ts";

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killAll();
  for (const drop of drops) await drop();
});

/** Every path at or below `dir` with a group or world bit, as "path mode" (written apart from the code it checks). */
function loose(dir: string): string[] {
  const found: string[] = [];
  const visit = (path: string) => {
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (!stats || stats.isSymbolicLink()) return; // removed meanwhile (PGlite's temp files)
    if (stats.mode & 0o077) found.push(`${path} ${(stats.mode & 0o777).toString(8)}`);
    if (stats.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return found;
}

function count(dir: string): number {
  let n = 0;
  const visit = (path: string) => {
    n++;
    if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return n;
}

async function stop(server: Served): Promise<void> {
  signalGroup(server.child, "SIGTERM");
  const exit = await Promise.race([server.exited, sleep(20_000).then(() => ({ code: -1, signal: null }))]);
  expect(exit.code).toBe(0);
}

/**
 * The embedded default keeps its database (PGlite), the vault's keyrings and master key
 * and the token key under KEYHOLD_DATA_DIR. PGlite's file system creates every file 0666
 * whatever the umask: here a real `keyhold serve` (umask 022, as a shell usually has) is
 * watched from its first start, through createKey/verify load, to a restart.
 */
describe.each(databaseKinds())("a data dir created by keyhold serve stays owner-only (%s)", (kind) => {
  test("after start, under load and after a restart: nothing in it is open to group or world", { timeout: 180_000 }, async () => {
    const dataDir = join(tempDataDir(), "data"); // does not exist yet: keyhold creates it
    const env: Record<string, string> = { KEYHOLD_DATA_DIR: dataDir, LOG_LEVEL: "warn" };
    if (kind === "postgres") {
      const db = await createTestDatabase(inject("postgresUrl"));
      drops.push(db.dropDatabase);
      env.DATABASE_URL = db.url; // the data dir then holds the vault's files and the token key
    }
    const first = await serve(env);
    const rootKey = first.stdout().match(/kh_root_\w+/)![0];
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(loose(dataDir)).toEqual([]);
    if (kind === "pglite") expect(count(join(dataDir, "pg"))).toBeGreaterThan(500); // the check saw PGlite's files

    // Load: plain and recoverable keys created and verified, the tree sampled throughout.
    const { apiId } = (await post(first.url, "/v1/apis.createApi", { name: "perms" }, rootKey)).body;
    expect((await post(first.url, "/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, rootKey)).status).toBe(200);
    let loading = true;
    const seen = new Set<string>();
    const sampler = (async () => {
      while (loading) {
        for (const entry of loose(dataDir)) seen.add(entry);
        await sleep(50);
      }
    })();
    const keys: string[] = [];
    // A few recoverable keys first, one at a time (the vault writes its keyring file), then 10 clients at once.
    for (let i = 0; i < 3; i++) expect((await post(first.url, "/v1/keys.createKey", { apiId, recoverable: true }, rootKey)).status).toBe(200);
    const worker = async (w: number) => {
      for (let i = 0; i < 15; i++) {
        const created = await post(first.url, "/v1/keys.createKey", { apiId, meta: { w, i, pad: "x".repeat(2000) } }, rootKey);
        expect(created.status, JSON.stringify(created.body)).toBe(200);
        keys.push(created.body.key);
        expect((await post(first.url, "/v1/keys.verifyKey", { key: created.body.key })).body.valid).toBe(true);
      }
    };
    await Promise.all(Array.from({ length: 10 }, (_, w) => worker(w)));
    loading = false;
    await sampler;
    expect([...seen]).toEqual([]);
    expect(loose(dataDir)).toEqual([]);
    await stop(first); // the shutdown checkpoint writes too

    expect(loose(dataDir)).toEqual([]);
    const second = await serve(env);
    expect((await post(second.url, "/v1/keys.verifyKey", { key: keys[0] })).body.valid).toBe(true);
    expect(loose(dataDir)).toEqual([]);
    await stop(second);
    expect(loose(dataDir)).toEqual([]);
  });
});

/**
 * Where the 0666 files come from: initdb and the template's extraction go through
 * Emscripten's FS.open, which chmods each new file to 0666. PostgreSQL running on a 0700
 * directory asks for 0600 itself, so the HTTP load above mostly rewrites existing files.
 * This guards the files made while open (a migration's table, VACUUM's map forks, a checkpoint).
 */
test("files PGlite creates while open (a new table, VACUUM's forks, a checkpoint) are owner-only at once", { timeout: 120_000 }, async () => {
  const dataDir = join(tempDataDir(), "data");
  const handle = await openDatabase(withTemplate({ kind: "pglite", dataDir }));
  try {
    const before = count(dataDir);
    await handle.db.execute(sql`create table perm_probe (id int primary key, pad text)`);
    await handle.db.execute(sql`insert into perm_probe select g, repeat('x', 200) from generate_series(1, 20000) g`);
    await handle.db.execute(sql`vacuum perm_probe`);
    await handle.db.execute(sql`checkpoint`);
    expect(count(dataDir) - before).toBeGreaterThanOrEqual(4); // heap, index, FSM and VM files at least: new since open
    expect(loose(dataDir)).toEqual([]); // checked while the database is still open
  } finally {
    await handle.close();
  }
  expect(loose(dataDir)).toEqual([]);
});

describe("keyhold serve refuses a data dir others could have written to", () => {
  test.each([
    ["770", 0o770, /^keyhold: The data directory .* is writable by its group \(mode 770\), so its files may have been replaced: check them, then chmod 700 /],
    ["777", 0o777, /^keyhold: The data directory .* is writable by everyone \(mode 777\)/],
  ])("mode %s: exit 1 with the reason, nothing written", async (_, mode, message) => {
    const dataDir = join(tempDataDir(), "data");
    mkdirSync(dataDir);
    chmodSync(dataDir, mode);
    const run = await runCli(["serve"], { KEYHOLD_DATA_DIR: dataDir }, 20_000);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(1);
    expect(readdirSync(dataDir)).toEqual([]); // refused before the vault or the database wrote anything
    expect(statSync(dataDir).mode & 0o777).toBe(mode); // left as found: the owner decides
  });

  test("a data dir owned by another user (root included): exit 1 naming the owner", async () => {
    const dataDir = join(tempDataDir(), "data");
    mkdirSync(dataDir, { mode: 0o700 });
    // As root, give it away; as anyone else, a directory of root's that exists anyway.
    const target = process.getuid!() === 0 ? (chownSync(dataDir, 65534, 65534), dataDir) : "/";
    const run = await runCli(["serve"], { KEYHOLD_DATA_DIR: target }, 20_000);
    expect(run.stderr).toMatch(new RegExp(`^keyhold: The data directory ${target} belongs to uid ${statSync(target).uid}, not to this user \\(uid ${process.getuid!()}\\)`));
    expect(run.code).toBe(1);
    if (target === dataDir) expect(readdirSync(dataDir)).toEqual([]);
  });
});

describe("an existing data dir others can read (e.g. from an older Keyhold)", () => {
  /** A data dir as a umask of 022 and PGlite's 0666 files left it: readable by all, one file writable by all. */
  function leakyDataDir(files: number): string {
    const dataDir = join(tempDataDir(), "data");
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    for (let i = 0; i < files; i++) {
      const path = join(dataDir, `planted-${String(i).padStart(2, "0")}`);
      writeFileSync(path, "");
      chmodSync(path, i === 0 ? 0o666 : 0o644);
    }
    return dataDir;
  }

  test("keyhold doctor reports the paths open to others: the first 10 and how many more; exit 1", { timeout: 60_000 }, async () => {
    const dataDir = leakyDataDir(12);
    const doctor = await runCli(["doctor", "--json"], { KEYHOLD_DATA_DIR: dataDir, VAULT_PORT: "1" }, 60_000);
    const check = JSON.parse(doctor.stdout).checks.find((c: { name: string }) => c.name === "data dir");
    expect(check.status).toBe("FAIL");
    expect(check.detail).toMatch(/^13 path\(s\) in .* are open to group or others \(.*\): \. \(755\), planted-\d\d \(6[46]{2}\), /);
    expect(check.detail).toMatch(/, and 3 more$/);
    expect(check.detail.split(", ")).toHaveLength(11); // 10 paths, then the count of the rest
    expect(doctor.code).toBe(1);
    expect(statSync(join(dataDir, "planted-00")).mode & 0o777).toBe(0o666); // doctor reports, it changes nothing
  });

  test("keyhold serve tightens it with a warning that says what others could have done; doctor is then OK", { timeout: 90_000 }, async () => {
    const dataDir = leakyDataDir(2);
    const server = await serve({ KEYHOLD_DATA_DIR: dataDir, LOG_LEVEL: "warn" });
    const messages = server.stdout().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l).msg as string);
    expect(messages).toContainEqual(expect.stringMatching(/^tightened 3 path\(s\) in the data directory .*; 1 of them were writable by others, who could have changed the database or the vault's files \(review the root keys\)/));
    expect(loose(dataDir)).toEqual([]);
    const doctor = await runCli(["doctor", "--json"], { KEYHOLD_DATA_DIR: dataDir });
    expect(JSON.parse(doctor.stdout).checks.find((c: { name: string }) => c.name === "data dir")).toMatchObject({ status: "OK" });
    await stop(server);
  });
});
