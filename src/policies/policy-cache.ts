import { LRUCache } from "lru-cache";
import { followWorkspaceChanges } from "../cache/change-notices.ts";
import type { DatabaseHandle } from "../db/client.ts";
import type { CompiledPolicy } from "./engine.ts";

export const POLICIES_CHANNEL = "keyhold_policies";

export interface PolicyCacheOptions {
  /** Most workspaces kept (a workspace without policies is an entry too: the common case, one lookup). */
  maxWorkspaces: number;
  /** Most characters of CEL source over all kept policies: a bound on the compiled ASTs held. */
  maxSourceChars: number;
  /** Longest a workspace's policies are trusted without a notice; notices normally come within milliseconds. */
  ttlMs: number;
}

/** Most APIs and users kept per workspace by findFact. */
export const MAX_FACTS_PER_WORKSPACE = 64;

export const POLICY_CACHE_DEFAULTS: PolicyCacheOptions = { maxWorkspaces: 10_000, maxSourceChars: 8 * 1024 * 1024, ttlMs: 60_000 };

export interface CachedPolicies {
  policies: readonly CompiledPolicy[];
  /** Characters of CEL source the policies were compiled from. */
  sourceChars: number;
}

/**
 * Each workspace's compiled policies, so the activity layer evaluates them on every
 * controlled request without a read or a compile. Kept in step with the database: the
 * trigger of drizzle/0011 announces the workspace of every policy change on
 * `keyhold_policies` (every instance forgets it), and this instance also forgets its own
 * writes at once (the services call forgetWorkspace after committing).
 */
export class PolicyCache {
  private readonly entries: LRUCache<string, CachedPolicies>;
  /**
   * The workspace's root quorum beside its policies (src/activities/): the activity layer reads
   * both on every change asked for. Same notices (drizzle/0013 announces quorum changes on the
   * same channel), same forgetting.
   */
  private readonly quorums: LRUCache<string, { userIds: string[]; threshold: number }>;
  /**
   * What policies read of an activity's API and initiator (src/activities/rules.ts), per
   * workspace: the two reads every admission in a workspace with policies made. Forgotten with
   * the workspace's policies: drizzle/0015 announces changes of APIs and users on the same
   * channel, and this instance forgets its own writes (src/api/middleware/forget-changed.ts).
   */
  private readonly facts: LRUCache<string, Map<string, unknown>>;
  /** Bumped by every forget: a load that began before it must not store what it read. */
  private generation = 0;

  constructor(options: PolicyCacheOptions = POLICY_CACHE_DEFAULTS) {
    this.entries = new LRUCache<string, CachedPolicies>({
      max: options.maxWorkspaces,
      maxSize: options.maxSourceChars,
      sizeCalculation: (entry) => Math.max(1, entry.sourceChars),
      ttl: options.ttlMs,
    });
    this.quorums = new LRUCache({ max: options.maxWorkspaces, ttl: options.ttlMs });
    this.facts = new LRUCache({ max: Math.max(1, Math.floor(options.maxWorkspaces / 10)), ttl: options.ttlMs });
  }

  /**
   * One fact of the workspace (`api:<id>`, `user:<id>`), else `load`'s, kept when it found one
   * and nothing changed meanwhile. Misses are not kept: a record created later must be seen.
   * At most MAX_FACTS_PER_WORKSPACE per workspace (beyond, its facts start afresh), so a
   * workspace with many APIs costs reads, not memory.
   */
  async findFact<T extends object>(workspaceId: string, fact: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const known = this.facts.get(workspaceId)?.get(fact);
    if (known !== undefined) return known as T;
    const generation = this.generation;
    const loaded = await load();
    if (loaded === undefined || generation !== this.generation) return loaded;
    let facts = this.facts.get(workspaceId);
    if (!facts) this.facts.set(workspaceId, (facts = new Map()));
    if (facts.size >= MAX_FACTS_PER_WORKSPACE) facts.clear();
    facts.set(fact, loaded);
    return loaded;
  }

  /** The workspace's root quorum, cached like its policies. */
  async findQuorum(workspaceId: string, load: () => Promise<{ userIds: string[]; threshold: number }>): Promise<{ userIds: string[]; threshold: number }> {
    const cached = this.quorums.get(workspaceId);
    if (cached) return cached;
    const generation = this.generation;
    const loaded = await load();
    if (generation === this.generation) this.quorums.set(workspaceId, loaded);
    return loaded;
  }

  /** The cached policies of the workspace, or undefined: for a caller that must not await on a hit. */
  peek(workspaceId: string): readonly CompiledPolicy[] | undefined {
    return this.entries.get(workspaceId)?.policies;
  }

  /** The cached policies of the workspace, else `load`'s (kept when nothing changed meanwhile). */
  async find(workspaceId: string, load: () => Promise<CachedPolicies>): Promise<readonly CompiledPolicy[]> {
    const cached = this.peek(workspaceId);
    if (cached) return cached;
    const generation = this.generation;
    const loaded = await load();
    if (generation === this.generation) this.entries.set(workspaceId, loaded); // over maxSourceChars: not kept
    return loaded.policies;
  }

  forgetWorkspace(workspaceId: string): void {
    this.generation++;
    this.entries.delete(workspaceId);
    this.quorums.delete(workspaceId);
    this.facts.delete(workspaceId);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.quorums.clear();
    this.facts.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Keeps `cache` in step with the database: each notice names a workspace whose policies
 * changed; on every (re)connection everything goes, since notices sent while the listener
 * was away are lost.
 */
export function subscribeToPolicyChanges(handle: Pick<DatabaseHandle, "listen">, cache: PolicyCache): Promise<() => Promise<void>> {
  return followWorkspaceChanges(handle, POLICIES_CHANNEL, cache);
}
