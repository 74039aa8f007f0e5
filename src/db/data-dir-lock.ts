import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { KeyholdError } from "../errors.ts";

export interface DataDirLock {
  release(): void;
}

interface Owner {
  pid: number;
  host: string;
  /** Linux only: the kernel boot and the process start, so a reused pid is not mistaken for the owner. */
  bootId?: string;
  startTime?: string;
}

const LOCK_FILE = "keyhold.lock";
const held = new Set<string>(); // lock files this process holds

/**
 * An exclusive lock on an embedded data directory: a lock file holding the owner's pid.
 * PGlite's files must never be opened by two processes, so a second opener stops with a
 * clear message. A lock whose process has died (on this host) is stale and taken over,
 * so a crash never blocks the next start.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  if (held.has(path)) throw inUse(dataDir, path, { pid: process.pid, host: hostname() });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (tryCreate(path)) {
      held.add(path);
      return { release: () => release(path) };
    }
    const text = readText(path);
    if (text === null) continue; // removed meanwhile: try again
    const owner = parseOwner(text);
    if (owner && isAlive(owner, path)) throw inUse(dataDir, path, owner);
    if (!removeIfUnchanged(path, text)) sleep(20); // another process is taking over: let it finish
  }
  throw new KeyholdError("CONFLICT", `Could not lock the data directory ${dataDir}; remove ${path} if no Keyhold process uses it.`);
}

/** Writes the owner record to a private file, then links it into place: the lock never exists half-written. */
function tryCreate(path: string): boolean {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, JSON.stringify({ ...currentOwner(), since: Date.now() }), { mode: 0o600 });
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Removes a stale lock only if it still holds what we judged stale. A small takeover
 * file serialises this, so two late starters cannot each delete the lock that the
 * other has just created.
 */
function removeIfUnchanged(path: string, staleText: string): boolean {
  const mutex = `${path}.takeover`;
  try {
    writeFileSync(mutex, String(process.pid), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // A takeover never takes long; an old takeover file was left by a process that died in it.
    if (Date.now() - mtimeMs(mutex) > 10_000) rmSync(mutex, { force: true });
    return false;
  }
  try {
    if (readText(path) === staleText) rmSync(path, { force: true });
    return true;
  } finally {
    rmSync(mutex, { force: true });
  }
}

function isAlive(owner: Owner, path: string): boolean {
  if (owner.host !== hostname()) return true; // cannot check another host: fail closed
  const me = currentOwner();
  if (owner.bootId && me.bootId && owner.bootId !== me.bootId) return false; // written before a reboot
  // Our own pid in a lock we do not hold: left by an earlier process that had the same pid (e.g. pid 1 in a container).
  if (owner.pid === process.pid) return held.has(path);
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // The pid exists; it is the owner only if it started when the owner did.
  const startTime = processStartTime(owner.pid);
  return !(owner.startTime && startTime && owner.startTime !== startTime);
}

function release(path: string): void {
  if (!held.delete(path)) return;
  const text = readText(path);
  if (text !== null && parseOwner(text)?.pid === process.pid) rmSync(path, { force: true });
}

function inUse(dataDir: string, path: string, owner: Owner): KeyholdError {
  const where = owner.host === hostname() ? "" : ` on host ${owner.host}`;
  const hint = where ? ` If that process is gone, delete ${path}.` : "";
  return new KeyholdError(
    "CONFLICT",
    `The data directory ${dataDir} is in use by another Keyhold process (pid ${owner.pid}${where}). ` +
      `Stop it first, or set KEYHOLD_DATA_DIR to another directory.${hint}`,
  );
}

function currentOwner(): Owner {
  const owner: Owner = { pid: process.pid, host: hostname() };
  const bootId = readText("/proc/sys/kernel/random/boot_id")?.trim();
  const startTime = processStartTime(process.pid);
  if (bootId) owner.bootId = bootId;
  if (startTime) owner.startTime = startTime;
  return owner;
}

/** Field 22 of /proc/<pid>/stat (clock ticks after boot), or null off Linux. */
function processStartTime(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return null;
  // The command name (field 2) may contain spaces and parentheses: count from its closing one.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
}

function parseOwner(text: string): Owner | null {
  try {
    const owner = JSON.parse(text) as Partial<Owner>;
    if (typeof owner.pid !== "number") return null;
    return { pid: owner.pid, host: String(owner.host ?? ""), bootId: owner.bootId, startTime: owner.startTime };
  } catch {
    return null; // not ours or corrupt: nobody can prove ownership
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
