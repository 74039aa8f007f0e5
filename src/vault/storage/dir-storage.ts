import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { KeyringDocument, VaultStorage } from "./storage.ts";

/**
 * One JSON file per keyring under a directory. Writes are atomic: a temp file is written
 * and fsynced, then renamed over the old one and the directory fsynced, so a crash
 * leaves either the old document or the new one, never a torn one.
 */
export class DirStorage implements VaultStorage {
  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<DirStorage> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new DirStorage(dir);
  }

  private path(keyring: string): string {
    return join(this.dir, `${keyring}.json`);
  }

  async read(keyring: string): Promise<KeyringDocument | null> {
    try {
      return JSON.parse(await readFile(this.path(keyring), "utf8")) as KeyringDocument;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async write(doc: KeyringDocument): Promise<boolean> {
    const current = await this.read(doc.keyring);
    if ((current?.revision ?? 0) !== doc.revision - 1) return false;
    const tmp = join(this.dir, `.${doc.keyring}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      const file = await open(tmp, "wx", 0o600);
      try {
        await file.writeFile(JSON.stringify(doc));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, this.path(doc.keyring));
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return true;
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.dir);
    return names.filter((n) => n.endsWith(".json") && !n.startsWith(".")).map((n) => n.slice(0, -5));
  }

  async close(): Promise<void> {}
}
