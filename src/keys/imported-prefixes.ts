import { eq } from "drizzle-orm";
import type { Database, DatabaseHandle } from "../db/client.ts";
import { importedKeyPrefixes } from "../db/schema.ts";

/** What verify asks before looking up a key without Keyhold's checksum. */
export interface ImportedPrefixes {
  /** Whether an imported key may be `key`: in `workspaceId`, or in any workspace when unscoped. */
  mayHold(key: string, workspaceId?: string): boolean;
}

export const IMPORTS_CHANNEL = "keyhold_imports";

/**
 * Where imported keys live (table imported_key_prefixes), held in memory by every instance so
 * that verify can refuse a key without Keyhold's checksum without a database read, unless an
 * import may hold it: a workspace whose imports did not say their prefix ('') may hold any
 * key, one that did only keys starting `<prefix>_`. Rows are only ever added, so every update
 * here is a union and updates racing each other cannot lose one.
 */
export class ImportedPrefixRegistry implements ImportedPrefixes {
  private readonly byWorkspace = new Map<string, Set<string>>();
  /** The union over workspaces, for verifies without a root key. */
  private readonly anyWorkspace = new Set<string>();

  add(workspaceId: string, prefix: string): void {
    let set = this.byWorkspace.get(workspaceId);
    if (!set) this.byWorkspace.set(workspaceId, (set = new Set()));
    set.add(prefix);
    this.anyWorkspace.add(prefix);
  }

  mayHold(key: string, workspaceId?: string): boolean {
    const prefixes = workspaceId === undefined ? this.anyWorkspace : this.byWorkspace.get(workspaceId);
    if (!prefixes || prefixes.size === 0) return false;
    if (prefixes.has("")) return true;
    // Every text before an `_` is a candidate prefix (an imported body may hold `_` too): bounded by the key's length.
    for (let cut = key.indexOf("_"); cut !== -1; cut = key.indexOf("_", cut + 1)) if (prefixes.has(key.slice(0, cut))) return true;
    return false;
  }

  /** Reads the table: all of it, or one workspace's rows (what a notice announces). */
  async load(db: Database, workspaceId?: string): Promise<void> {
    const rows = await db
      .select()
      .from(importedKeyPrefixes)
      .where(workspaceId === undefined ? undefined : eq(importedKeyPrefixes.workspaceId, workspaceId));
    for (const row of rows) this.add(row.workspaceId, row.prefix);
  }
}

/** How long a failed reload waits before it tries again: a missed prefix only delays verifies of imported keys. */
const RETRY_MS = 1000;

/**
 * A registry loaded from the database and kept in step with it: the trigger of drizzle/0003
 * announces on `keyhold_imports` the workspace of every new row; on every (re)connection of
 * the listener everything is read again, since notices sent while it was away are lost.
 */
export async function openImportedPrefixes(handle: Pick<DatabaseHandle, "db" | "listen">): Promise<{ registry: ImportedPrefixRegistry; close: () => Promise<void> }> {
  const registry = new ImportedPrefixRegistry();
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const reload = (workspaceId?: string) => {
    registry.load(handle.db, workspaceId).catch(() => {
      if (closed) return;
      clearTimeout(retry);
      retry = setTimeout(() => reload(), RETRY_MS);
      retry.unref?.();
    });
  };
  // Listening first: a row added between the load and the LISTEN would otherwise go unheard.
  const unlisten = await handle.listen(IMPORTS_CHANNEL, (workspaceId) => reload(workspaceId), () => reload());
  try {
    await registry.load(handle.db);
  } catch (error) {
    await unlisten();
    throw error;
  }
  return {
    registry,
    close: async () => {
      closed = true;
      clearTimeout(retry);
      await unlisten();
    },
  };
}
