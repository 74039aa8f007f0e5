import { Hono } from "hono";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { verifyLookupQuery } from "../../src/keys/verify-key.ts";
import { sha256Hex } from "../../src/crypto/hash.ts";
import { childConfig, serveChild } from "../servers/serve-child.ts";

/**
 * The database ceiling: a bare Hono app doing, with postgres.js and nothing else, the
 * statements Keyhold's verify runs: the indexed SELECT by hash of findVerifiableKey
 * (src/keys/verify-key.ts, its very text), and the conditional UPDATE … RETURNING of spendCredits and
 * the window upsert of consumeRatelimit (src/keys/credits.ts, src/ratelimits/windows.ts), each as one statement.
 * For the two writes the key's id comes from a Map, as from a warm verify cache.
 * `/namespace-ratelimit` is the same upsert on a standalone limit's window (what
 * `ratelimit.limit` runs, src/ratelimits/standalone-limits.ts), its namespace id from a Map
 * filled on first use, as from a warm namespace cache.
 */
const { url, maxConnections } = childConfig<{ url: string; maxConnections: number }>();
const sql = postgres(url, { max: maxConnections, onnotice: () => {} });
const idsByHash = new Map<string, string>();
for (const row of await sql<{ id: string; hash: string }[]>`select id, hash from keys where remaining is not null or ratelimits <> '[]'::jsonb`) {
  idsByHash.set(row.hash, row.id);
}

const app = new Hono();

// findVerifiableKey's own statement, text taken from the query builder (with the identity join
// and the effective permissions of roles), run by postgres.js as a prepared statement.
const lookup = verifyLookupQuery(drizzle(sql));
app.post("/select", async (c) => {
  const { key } = await c.req.json<{ key: string }>();
  const [row] = await sql.unsafe(lookup.sql, lookup.params(sha256Hex(key)) as never[], { prepare: true });
  return c.json(row ? { valid: true, code: "VALID", keyId: row.id } : { valid: false, code: "NOT_FOUND" });
});

app.post("/credits", async (c) => {
  const { key } = await c.req.json<{ key: string }>();
  const id = idsByHash.get(sha256Hex(key)) ?? "";
  const [cost, periodStart, now] = [1, 0, Date.now()]; // keys without refill: periodStart 0, as refillPeriodStart isn't called
  const [row] = await sql`
    update keys set
      remaining = (case when (refill_interval is not null and coalesce(last_refill_at, created_at) < ${periodStart}) then refill_amount else remaining end) - ${cost},
      last_refill_at = case when (refill_interval is not null and coalesce(last_refill_at, created_at) < ${periodStart}) then ${now}::bigint else last_refill_at end
    where id = ${id} and remaining is not null
      and (case when (refill_interval is not null and coalesce(last_refill_at, created_at) < ${periodStart}) then refill_amount else remaining end) >= ${cost}
    returning remaining`;
  return c.json(row ? { valid: true, code: "VALID", remaining: row.remaining } : { valid: false, code: "USAGE_EXCEEDED" });
});

app.post("/ratelimit", async (c) => {
  const { key } = await c.req.json<{ key: string }>();
  const id = idsByHash.get(sha256Hex(key)) ?? "";
  const [limit, duration, cost] = [2_000_000_000, 60_000, 1];
  const row = await upsertWindow(id, "default", duration, cost, limit);
  return c.json(row ? { valid: true, code: "VALID", remaining: limit - row.count } : { valid: false, code: "RATE_LIMITED" });
});

/** consumeRatelimit's statement as drizzle writes it (its SET in drizzle's order, the sums in bigint). */
async function upsertWindow(subjectId: string, name: string, duration: number, cost: number, limit: number): Promise<{ count: number } | undefined> {
  const windowStart = Math.floor(Date.now() / duration) * duration;
  const [row] = await sql<{ count: number }[]>`
    insert into ratelimit_windows (subject_id, name, window_start, count, expires_at) values (${subjectId}, ${name}, ${windowStart}, ${cost}, ${windowStart + duration})
    on conflict (subject_id, name) do update set
      window_start = excluded.window_start,
      count = case when ratelimit_windows.window_start = excluded.window_start then (ratelimit_windows.count::bigint + excluded.count)::integer else excluded.count end,
      expires_at = excluded.expires_at
    where ratelimit_windows.window_start < excluded.window_start
      or (ratelimit_windows.window_start = excluded.window_start and ratelimit_windows.count::bigint + excluded.count <= ${limit})
    returning count`;
  return row;
}

const namespaceIds = new Map<string, string>();
app.post("/namespace-ratelimit", async (c) => {
  const { namespace, identifier, limit, duration } = await c.req.json<{ namespace: string; identifier: string; limit: number; duration: number }>();
  let id = namespaceIds.get(namespace);
  if (id === undefined) {
    const [row] = await sql<{ id: string }[]>`select id from ratelimit_namespaces where name = ${namespace} limit 1`;
    namespaceIds.set(namespace, (id = row?.id ?? ""));
  }
  const row = await upsertWindow(id, `${duration}:${identifier}`, duration, 1, limit);
  return c.json(row ? { success: true, limit, remaining: limit - row.count } : { success: false, limit, remaining: 0 });
});

await serveChild([app], { close: () => sql.end({ timeout: 5 }) });
