import { type Stats, chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { Config } from "./config.ts";
import { KeyholdError } from "./errors.ts";

/**
 * The data directory holds the embedded database, the vault's keyrings and master key and
 * the API→vault token key: whoever can write there can plant a root key. It is kept to its
 * owner: created 0700, and no file or directory below it has a group or world bit.
 */
const OTHERS = 0o077;
const OTHERS_WRITE = 0o022;

/** Whether this configuration keeps anything under KEYHOLD_DATA_DIR. */
export function usesDataDir(config: Config): boolean {
  const vaultFiles = !config.vaultUrl && !(config.vaultMasterKeys && config.vaultDatabaseUrl && config.vaultTokenPublicKey);
  return !config.databaseUrl || vaultFiles || !config.vaultTokenPrivateKey;
}

/**
 * Creates `dir` (0700) or checks it: refuses (KeyholdError) a directory another user owns
 * or others can write to, whose files may have been replaced already. Changes nothing in
 * an existing one (so `keyhold doctor` can open the database and still report modes).
 */
export function openPrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const refusal = dirRefusal(dir);
  if (refusal) throw new KeyholdError("PRECONDITION_FAILED", refusal);
}

/** openPrivateDir, then strips group and world bits from everything in `dir`. Returns warnings for what it tightened. */
export function securePrivateDir(dir: string): string[] {
  openPrivateDir(dir);
  let tightened = 0;
  let writable = 0;
  walk(dir, (path, stats) => {
    const mode = stats.mode & 0o7777;
    if (!(mode & OTHERS)) return;
    try {
      chmodSync(path, mode & ~OTHERS);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code === "EPERM") throw new KeyholdError("PRECONDITION_FAILED", `${path} in the data directory belongs to another user (uid ${stats.uid}) and is open to others: chown it to this user.`);
      throw error;
    }
    tightened++;
    if (mode & OTHERS_WRITE) writable++;
  });
  if (tightened === 0) return [];
  const risk = writable ? `; ${writable} of them were writable by others, who could have changed the database or the vault's files (review the root keys)` : "";
  return [`tightened ${tightened} path(s) in the data directory ${dir} that others could read${risk}: everything there is now owner-only`];
}

/** Why `dir` must not be used, or null: owned by another user, or writable by group or world. */
export function dirRefusal(dir: string): string | null {
  const stats = statSync(dir);
  if (!stats.isDirectory()) return `The data directory ${dir} is not a directory.`;
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    return `The data directory ${dir} belongs to uid ${stats.uid}, not to this user (uid ${uid}): run Keyhold as its owner, or set KEYHOLD_DATA_DIR to a directory of this user's.`;
  }
  const mode = stats.mode & 0o777;
  if (mode & OTHERS_WRITE) {
    return `The data directory ${dir} is writable by ${mode & 0o002 ? "everyone" : "its group"} (mode ${octal(mode)}), so its files may have been replaced: check them, then chmod 700 ${dir}.`;
  }
  return null;
}

/** Paths in `dir` (itself included) with any group or world bit: the first `limit`, relative, with their modes, and how many in all. */
export function loosePaths(dir: string, limit = 10): { count: number; first: string[] } {
  const first: string[] = [];
  let count = 0;
  walk(dir, (path, stats) => {
    if (!(stats.mode & OTHERS)) return;
    if (count++ < limit) first.push(`${relative(dir, path) || "."} (${octal(stats.mode & 0o777)})`);
  });
  return { count, first };
}

/**
 * `dir` (followed if it is a symlink) and everything below it, symlinks not followed, so
 * nothing outside is ever changed; entries that vanish meanwhile are skipped.
 */
function walk(dir: string, visit: (path: string, stats: Stats) => void): void {
  const pending = [dir];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    let stats: Stats;
    try {
      stats = path === dir ? statSync(path) : lstatSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    if (stats.isSymbolicLink()) continue;
    visit(path, stats);
    if (!stats.isDirectory()) continue;
    try {
      for (const name of readdirSync(path)) pending.push(join(path, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}

function octal(mode: number): string {
  return mode.toString(8).padStart(3, "0");
}
