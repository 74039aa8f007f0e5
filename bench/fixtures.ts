import type { Database } from "../src/db/client.ts";
import { apis } from "../src/db/schema.ts";
import { newId } from "../src/ids.ts";
import { bootstrapWorkspace } from "../src/workspaces/bootstrap.ts";
import { generateKeys } from "./keygen.ts";
import { seedKeys } from "./seed.ts";

export const HOT_KEYS = 2000;
export const MEMORY_KEYS = 12_000; // more than the cache holds (10 000): entries are evicted and reloaded
const LIMITED_KEYS = 500;

/** What the scenarios use: one workspace, its root key, APIs, and plaintexts of seeded keys. */
export interface Fixtures {
  workspaceId: string;
  rootKey: string;
  /** Holds the N seeded keys. */
  apiId: string;
  /** Recovery enabled: createKey recoverable, getKey/listKeys with decrypt. */
  recoverableApiId: string;
  listApiId: string;
  /** Verified in turn by the verify scenarios: spread evenly over the first 10 000 keys, then over all N. */
  hotSmall: string[];
  hot: string[];
  memory: string[];
  /** 2 000 000 000 credits each; an own rate limit of 2 000 000 000 per minute each. */
  credits: string[];
  ratelimited: string[];
  /** Well formed (checksum OK) but never stored. */
  unknown: string[];
}

export async function createFixtures(db: Database, smallKeys: number): Promise<Fixtures> {
  const ws = await bootstrapWorkspace(db, "bench");
  const [apiId, recoverableApiId, listApiId] = [newId("api"), newId("api"), newId("api")];
  const now = Date.now();
  await db.insert(apis).values([
    { id: apiId, workspaceId: ws.workspaceId, name: "bench", createdAt: now },
    { id: recoverableApiId, workspaceId: ws.workspaceId, name: "bench-recoverable", recoveryEnabled: true, createdAt: now },
    { id: listApiId, workspaceId: ws.workspaceId, name: "bench-list", recoveryEnabled: true, createdAt: now },
  ]);
  const base = { workspaceId: ws.workspaceId, apiId };
  const credits = await seedKeys(db, { ...base, count: LIMITED_KEYS, sampleEvery: 1, remaining: 2_000_000_000 });
  const ratelimited = await seedKeys(db, { ...base, count: LIMITED_KEYS, sampleEvery: 1, ratelimit: { limit: 2_000_000_000, duration: 60_000 } });
  const hotSmall = await seedKeys(db, { ...base, count: smallKeys, sampleEvery: Math.floor(smallKeys / HOT_KEYS) });
  return {
    workspaceId: ws.workspaceId,
    rootKey: ws.rootKey,
    apiId,
    recoverableApiId,
    listApiId,
    hotSmall,
    hot: [],
    memory: [],
    credits,
    ratelimited,
    unknown: generateKeys("bench", HOT_KEYS).map((k) => k.key),
  };
}

/** Seeds the rest of the N keys; the hot and memory samples are spread evenly over them. */
export async function seedRest(db: Database, fx: Fixtures, totalKeys: number, smallKeys: number): Promise<void> {
  const count = totalKeys - smallKeys;
  const every = Math.max(1, Math.floor(count / MEMORY_KEYS));
  fx.memory = (await seedKeys(db, { workspaceId: fx.workspaceId, apiId: fx.apiId, count, sampleEvery: every })).slice(0, MEMORY_KEYS);
  const step = Math.max(1, Math.floor(fx.memory.length / HOT_KEYS));
  fx.hot = fx.memory.filter((_, i) => i % step === 0).slice(0, HOT_KEYS);
}
