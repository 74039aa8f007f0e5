import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { sha256Hex } from "../crypto/hash.ts";
import type { DatabaseTarget } from "./client.ts";

/**
 * A dump of a freshly migrated, empty PGlite database. Creating a PGlite database runs
 * initdb (3–10 s here); loading this dump takes about 1 s. It is built once (at install, or
 * by the test setup) and keyed by the migrations, so a new migration never meets an old dump.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const migrationsDir = join(root, "drizzle");
const cacheDir = join(root, "node_modules", ".cache", "keyhold");

export function templatePath(): string {
  const files = readdirSync(migrationsDir).filter((f) => f.endsWith(".sql")).sort();
  const digest = sha256Hex(files.map((f) => `${f}\n${readFileSync(join(migrationsDir, f), "utf8")}`).join("\n"));
  return join(cacheDir, `pglite-${digest.slice(0, 16)}.tar`);
}

/** The template for the current migrations, if one has been built. */
export function loadTemplate(): Blob | null {
  const path = templatePath();
  return existsSync(path) ? new Blob([readFileSync(path)]) : null;
}

/** `target`, starting from the template if it is an embedded database that does not exist yet. */
export function withTemplate(target: DatabaseTarget): DatabaseTarget {
  if (target.kind !== "pglite" || target.dataDir === null || existsSync(join(target.dataDir, "pg"))) return target;
  return { ...target, template: loadTemplate() };
}

/** Builds the template for the current migrations, unless it exists. Returns its path. */
export async function buildTemplate(): Promise<string> {
  const path = templatePath();
  if (existsSync(path)) return path;
  const client = await PGlite.create();
  try {
    await migrate(drizzle(client), { migrationsFolder: migrationsDir });
    const dump = await client.dumpDataDir("none");
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    renameSync(tmp, path);
    return path;
  } finally {
    await client.close();
  }
}
