import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { KeyholdError } from "../errors.ts";

export interface DataDirLock {
  release(): void;
}

/**
 * An exclusive lock on an embedded data directory: a lock file created with O_EXCL
 * holding the owner's pid. PGlite's files must never be opened by two processes,
 * so a second opener stops with a clear message. A lock whose process has died
 * (on this host) is stale and taken over, so a crash never blocks the next start.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = join(dataDir, "keyhold.lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now() }));
      closeSync(fd);
      return { release: () => releaseIfOurs(path) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = readOwner(path);
      if (owner && isAlive(owner)) {
        throw new KeyholdError(
          "CONFLICT",
          `The data directory ${dataDir} is in use by another Keyhold process (pid ${owner.pid}). ` +
            "Stop it first, or point this one at another KEYHOLD_DATA_DIR.",
        );
      }
      rmSync(path, { force: true }); // stale: its owner is gone
    }
  }
  throw new KeyholdError("CONFLICT", `Could not lock the data directory ${dataDir}.`);
}

interface Owner {
  pid: number;
  host: string;
}

function readOwner(path: string): Owner | null {
  try {
    const owner = JSON.parse(readFileSync(path, "utf8")) as Partial<Owner>;
    return typeof owner.pid === "number" ? { pid: owner.pid, host: String(owner.host ?? "") } : null;
  } catch {
    return null; // half-written or unreadable: its writer died mid-write
  }
}

function isAlive(owner: Owner): boolean {
  if (owner.host !== hostname()) return true; // cannot check another host: fail closed
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function releaseIfOurs(path: string): void {
  if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
}
