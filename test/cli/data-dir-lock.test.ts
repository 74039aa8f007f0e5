import { execFile, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { acquireDataDirLock } from "../../src/db/data-dir-lock.ts";
import { killAll, root, tempDataDir } from "./processes.ts";

afterAll(killAll);

const lockFile = (dir: string) => join(dir, "keyhold.lock");
const writeLock = (dir: string, owner: object) => writeFileSync(lockFile(dir), JSON.stringify(owner));

/** The pid of a process that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.on("close", resolve));
  return child.pid!;
}

describe("data dir lock", () => {
  test("a second acquire in the same process is refused until the first is released", () => {
    const dir = tempDataDir();
    const lock = acquireDataDirLock(dir);
    expect(() => acquireDataDirLock(dir)).toThrow(/is in use by another Keyhold process/);
    lock.release();
    acquireDataDirLock(dir).release();
  });

  test("a lock held by a live process is respected; one from a dead process is taken over", async () => {
    const dir = tempDataDir();
    writeLock(dir, { pid: process.ppid, host: hostname() }); // vitest's main process: alive, not us
    expect(() => acquireDataDirLock(dir)).toThrow(`(pid ${process.ppid})`);
    writeLock(dir, { pid: await deadPid(), host: hostname() });
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(lockFile(dir), "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  test("our own pid in a lock we do not hold is stale (a restarted container is pid 1 again)", () => {
    const dir = tempDataDir();
    writeLock(dir, { pid: process.pid, host: hostname() });
    acquireDataDirLock(dir).release();
  });

  test.runIf(process.platform === "linux")("a live pid with another start time is a reused pid, so the lock is stale", () => {
    const dir = tempDataDir();
    writeLock(dir, { pid: process.ppid, host: hostname(), startTime: "1" });
    acquireDataDirLock(dir).release();
  });

  test("a lock from another host is never taken over and the message says how to clear it", () => {
    const dir = tempDataDir();
    writeLock(dir, { pid: 4242, host: "elsewhere.example" });
    expect(() => acquireDataDirLock(dir)).toThrow(/pid 4242 on host elsewhere\.example.*delete .*keyhold\.lock/);
  });

  test("processes racing to take over one stale lock: exactly one wins", async () => {
    const dir = tempDataDir();
    writeLock(dir, { pid: await deadPid(), host: hostname() });
    const startAt = String(Date.now() + 4000); // after every contender has loaded
    const run = promisify(execFile);
    const contenders = Array.from({ length: 6 }, () =>
      run(process.execPath, ["--import", "tsx", join(root, "test/cli/lock-contender.ts"), dir, startAt, "3000"], { cwd: root, timeout: 30_000 }),
    );
    const outcomes = (await Promise.all(contenders)).map((r) => r.stdout.trim());
    expect(outcomes.filter((o) => o === "won")).toHaveLength(1);
    for (const o of outcomes.filter((o) => o !== "won")) expect(o).toMatch(/^refused: .*in use by another Keyhold process/);
  }, 60_000);
});
