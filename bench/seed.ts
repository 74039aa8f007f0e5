import { sql } from "drizzle-orm";
import type { Database } from "../src/db/client.ts";
import { generateIds } from "./ids.ts";
import { assertKeyholdFormat, generateKeys } from "./keygen.ts";

const BATCH = 5000;

export interface SeedInput {
  workspaceId: string;
  apiId: string;
  count: number;
  /** Keep the plaintext of every `sampleEvery`-th key, spread evenly over the whole set. */
  sampleEvery: number;
  prefix?: string;
  /** Credits and/or an own rate limit, the same for every seeded key. */
  remaining?: number;
  ratelimit?: { limit: number; duration: number };
}

/**
 * Inserts `count` keys straight into the keys table, `BATCH` rows per statement (text
 * arrays unnested server-side), generating the next batch in Node while the database
 * writes the previous one. Returns the sampled plaintexts. The per-row NOTIFY trigger
 * is switched off while seeding: nobody listens yet, and a million notices would only
 * fill PostgreSQL's notification queue.
 */
export async function seedKeys(db: Database, input: SeedInput): Promise<string[]> {
  const sample: string[] = [];
  const now = Date.now();
  // v1's one limit is the auto-applied limit named "default" (src/keys/key-ratelimits.ts).
  const ratelimits = input.ratelimit ? [{ id: "rl_bench", name: "default", autoApply: true, async: false, ...input.ratelimit }] : [];
  await db.execute(sql`alter table keys disable trigger keys_notify_insert_delete`);
  try {
    let pending: Promise<unknown> = Promise.resolve();
    for (let done = 0; done < input.count; done += BATCH) {
      const n = Math.min(BATCH, input.count - done);
      const keys = generateKeys(input.prefix ?? "bench", n);
      const ids = generateIds("key", n, now);
      keys.forEach((k, i) => {
        if ((done + i) % input.sampleEvery === 0) sample.push(k.key);
      });
      await pending;
      pending = db.execute(sql`
        insert into keys (id, workspace_id, api_id, hash, start, created_at, remaining, ratelimits)
        select id, ${input.workspaceId}, ${input.apiId}, hash, start, ${now}::bigint, ${input.remaining ?? null}::int,
          ${JSON.stringify(ratelimits)}::jsonb
        from unnest(${arrayLiteral(ids)}::text[], ${arrayLiteral(keys.map((k) => k.hash))}::text[], ${arrayLiteral(keys.map((k) => k.start))}::text[])
          as t(id, hash, start)`);
    }
    await pending;
  } finally {
    await db.execute(sql`alter table keys enable trigger keys_notify_insert_delete`);
  }
  await db.execute(sql`analyze keys`);
  assertKeyholdFormat(sample);
  return sample;
}

/** `{a,b,c}`: ids, hex hashes and key starts never hold characters that need quoting. */
function arrayLiteral(values: string[]): string {
  if (values.some((v) => !/^[A-Za-z0-9_]+$/.test(v))) throw new Error("unexpected character in a seeded value");
  return `{${values.join(",")}}`;
}
