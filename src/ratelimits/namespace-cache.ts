import { followWorkspaceChanges } from "../cache/change-notices.ts";
import type { DatabaseHandle } from "../db/client.ts";
import type { Namespace } from "./namespaces.ts";

export const RATELIMITS_CHANNEL = "keyhold_ratelimits";

export interface NamespaceCacheOptions {
  /** Most overrides held over all cached namespaces (a namespace counts 1 + its overrides). */
  maxWeight: number;
  /** Longest a namespace is trusted without a notice; notices normally come within milliseconds. */
  ttlMs: number;
}

export const NAMESPACE_CACHE_DEFAULTS: NamespaceCacheOptions = { maxWeight: 100_000, ttlMs: 60_000 };

interface Entry {
  namespace: Namespace;
  workspaceId: string;
  weight: number;
  loadedAt: number;
}

/**
 * Namespaces with their overrides, by workspace and by the name or id a request used, so a
 * limit call costs no read before its window upsert. Kept in step with the database: the
 * triggers of drizzle/0007 announce the workspace of every namespace or override change on
 * `keyhold_ratelimits` and all of that workspace's entries go; this instance also forgets
 * its own writes at once (the services call forgetWorkspace after committing). Only found
 * namespaces are cached: a missing one is created by the limit call that asks for it.
 */
export class NamespaceCache {
  private readonly entries = new Map<string, Entry>();
  private readonly keysByWorkspace = new Map<string, Set<string>>();
  private weight = 0;
  /** Bumped by every forget: a load that began before it must not store what it read. */
  private generation = 0;

  constructor(private readonly options: NamespaceCacheOptions = NAMESPACE_CACHE_DEFAULTS) {}

  /** The cached namespace, or undefined (missing, expired or never read). */
  peek(workspaceId: string, nameOrId: string, now = Date.now()): Namespace | undefined {
    const key = cacheKey(workspaceId, nameOrId);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now - entry.loadedAt >= this.options.ttlMs) {
      this.remove(key);
      return undefined;
    }
    // Least recently used leaves first: a hit moves to the end.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.namespace;
  }

  /** The namespace from the cache, else from `load` (stored when found and nothing changed meanwhile). */
  async find(workspaceId: string, nameOrId: string, load: () => Promise<Namespace | null>): Promise<Namespace | null> {
    const cached = this.peek(workspaceId, nameOrId);
    if (cached) return cached;
    const generation = this.generation;
    const namespace = await load();
    if (namespace && generation === this.generation) this.store(workspaceId, nameOrId, namespace);
    return namespace;
  }

  forgetWorkspace(workspaceId: string): void {
    this.generation++;
    for (const key of this.keysByWorkspace.get(workspaceId) ?? []) this.remove(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.keysByWorkspace.clear();
    this.weight = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  private store(workspaceId: string, nameOrId: string, namespace: Namespace): void {
    const weight = 1 + namespace.exact.size;
    if (weight > this.options.maxWeight) return; // read from the database on every call instead
    const key = cacheKey(workspaceId, nameOrId);
    this.remove(key);
    this.entries.set(key, { namespace, workspaceId, weight, loadedAt: Date.now() });
    let keys = this.keysByWorkspace.get(workspaceId);
    if (!keys) this.keysByWorkspace.set(workspaceId, (keys = new Set()));
    keys.add(key);
    this.weight += weight;
    for (const [oldest] of this.entries) {
      if (this.weight <= this.options.maxWeight) break;
      this.remove(oldest);
    }
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.weight -= entry.weight;
    const keys = this.keysByWorkspace.get(entry.workspaceId);
    keys?.delete(key);
    if (keys?.size === 0) this.keysByWorkspace.delete(entry.workspaceId);
  }
}

/** Workspace ids hold no space, so the first space ends the workspace part. */
const cacheKey = (workspaceId: string, nameOrId: string) => `${workspaceId} ${nameOrId}`;

/**
 * Keeps `cache` in step with the database: each notice names a workspace whose namespaces or
 * overrides changed; on every (re)connection everything goes, since notices sent while the
 * listener was away are lost.
 */
export function subscribeToRatelimitChanges(handle: Pick<DatabaseHandle, "listen">, cache: NamespaceCache): Promise<() => Promise<void>> {
  return followWorkspaceChanges(handle, RATELIMITS_CHANNEL, cache);
}
