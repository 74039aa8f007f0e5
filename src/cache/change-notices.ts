import type { DatabaseHandle } from "../db/client.ts";

/** What a change notice can drop: one record by the hash it is cached under, or everything. */
export interface ForgetsByHash {
  forgetHash(hash: string): void;
  clear(): void;
}

/**
 * Keeps `cache` in step with the database: triggers (drizzle/0001, 0002) announce on
 * `channel` the hash of every changed record, or '*' when anything may have changed. On each
 * (re)connection the cache is emptied, since notices sent while the listener was away are lost.
 */
export function followChanges(handle: Pick<DatabaseHandle, "listen">, channel: string, cache: ForgetsByHash): Promise<() => Promise<void>> {
  return handle.listen(
    channel,
    (payload) => (payload === "*" ? cache.clear() : cache.forgetHash(payload)),
    () => cache.clear(),
  );
}

/** What a per-workspace change notice can drop: one workspace's entries, or everything. */
export interface ForgetsByWorkspace {
  forgetWorkspace(workspaceId: string): void;
  clear(): void;
}

/**
 * Keeps `cache` in step with the database: triggers (drizzle/0007, 0011) announce on
 * `channel` the workspace whose records changed. On each (re)connection the cache is
 * emptied, since notices sent while the listener was away are lost.
 */
export function followWorkspaceChanges(handle: Pick<DatabaseHandle, "listen">, channel: string, cache: ForgetsByWorkspace): Promise<() => Promise<void>> {
  return handle.listen(
    channel,
    (workspaceId) => cache.forgetWorkspace(workspaceId),
    () => cache.clear(),
  );
}
