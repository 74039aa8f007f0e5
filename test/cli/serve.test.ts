import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { type Served, killAll, liveness, post, root, runCli, serve, signalGroup, tempDataDir } from "./processes.ts";

afterAll(killAll);

/**
 * One data directory through a server's life: `npm start` on an empty directory, a CLI
 * refused while it runs, a graceful stop, a crash (kill -9), and starts after each.
 */
describe.sequential("keyhold serve on embedded PGlite", () => {
  const dataDir = tempDataDir();
  const lockFile = join(dataDir, "keyhold.lock");
  let first: Served;
  let rootKey = "";

  test("npm start on an empty data dir prints the root key once with a curl walk-through, and answers", async () => {
    first = await serve({ KEYHOLD_DATA_DIR: dataDir }, ["npm", "start", "--silent"]);
    console.log(`[keyhold] npm start on an empty data dir answered /v1/liveness after ${first.startMs} ms`);
    expect(first.startMs).toBeLessThan(45_000); // the bound of serve(); about 3-5 s on an idle 2-core machine
    const out = first.stdout();
    const keys = [...out.matchAll(/kh_root_\w+/g)].map((m) => m[0]);
    expect(keys).toHaveLength(1); // printed exactly once
    rootKey = keys[0]!;
    expect(out).toContain(`export ROOT_KEY=${rootKey}`);
    expect(out).toContain(`export KEYHOLD_URL=${first.url}`);
    for (const endpoint of ["apis.createApi", "keys.createKey", "keys.verifyKey"]) expect(out).toContain(`$KEYHOLD_URL/v1/${endpoint}`);
    // Logs are JSON lines when stdout is not a terminal, and carry no secret.
    const logLines = out.split("\n").filter((line) => line.startsWith("{"));
    expect(logLines.map((line) => JSON.parse(line).msg)).toContain(`Keyhold listening on ${first.url}`);
    expect(logLines.join("\n")).not.toContain(rootKey);
  });

  test("the printed walk-through runs as pasted and verifies a key", async () => {
    const lines = first.stdout().split("\n");
    const start = lines.findIndex((line) => line.includes("export KEYHOLD_URL="));
    const script = [`export ROOT_KEY=${rootKey}`, ...lines.slice(start, start + 4).map((line) => line.trim())].join("\n");
    const { stdout } = await promisify(execFile)("bash", ["-c", `set -eu\n${script}`], { timeout: 20_000 });
    expect(JSON.parse(stdout)).toMatchObject({ valid: true, code: "VALID" });
    // The README shows the same commands, so it stays true when the walk-through changes.
    const readme = readFileSync(join(root, "README.md"), "utf8");
    for (const line of lines.slice(start + 1, start + 4)) expect(readme).toContain(line.trim());
  });

  test("a CLI command on the same data dir stops with the lock message and the server keeps working", async () => {
    const run = await runCli(["bootstrap", "--json"], { KEYHOLD_DATA_DIR: dataDir });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^keyhold: The data directory .* is in use by another Keyhold process \(pid \d+\)\. .*KEYHOLD_DATA_DIR/);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(await liveness(first.url)).toBe(200);
    const created = await post(first.url, "/v1/apis.createApi", { name: "still-here" }, rootKey);
    expect(created.status).toBe(200);
    expect(created.body.apiId).toMatch(/^api_/);
  });

  test("SIGTERM stops the server gracefully: exit 0 and the lock released", async () => {
    // Signal the node process itself (its pid is in the lock): npm does not forward signals.
    const { pid } = JSON.parse(readFileSync(lockFile, "utf8")) as { pid: number };
    expect(pid).not.toBe(first.child.pid);
    process.kill(pid, "SIGTERM");
    const exit = await withTimeout(first.exited, 15_000);
    expect(exit.code).toBe(0); // npm passes on the server's own exit code
    expect(existsSync(lockFile)).toBe(false);
  });

  test("after kill -9 the stale lock is taken over and the next start works; no second root key", async () => {
    const doomed = await serve({ KEYHOLD_DATA_DIR: dataDir });
    expect(doomed.stdout()).not.toMatch(/kh_root_/); // the workspace exists: nothing to print
    signalGroup(doomed.child, "SIGKILL");
    await withTimeout(doomed.exited, 10_000);
    expect(existsSync(lockFile)).toBe(true); // the crash left its lock behind

    const next = await serve({ KEYHOLD_DATA_DIR: dataDir });
    console.log(`[keyhold] restart after kill -9 answered after ${next.startMs} ms`);
    const created = await post(next.url, "/v1/apis.createApi", { name: "after-crash" }, rootKey);
    expect(created.status).toBe(200);
    signalGroup(next.child, "SIGTERM");
    expect((await withTimeout(next.exited, 15_000)).code).toBe(0);
  });
});

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no exit within ${ms} ms`)), ms))]);
}
