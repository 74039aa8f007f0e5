import type { Unkey as UnkeyV1 } from "@unkey/api";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, test } from "vitest";
import { executeRows } from "../../src/db/execute-rows.ts";
import { type Harness, type Workspace, forEachDatabase, onTwoInstances } from "../harness.ts";
import { useListener, v1Sdk } from "../listen.ts";
import { useV2Sdk } from "../v2/sdk-context.ts";

/**
 * Verification analytics end to end: verifies through v1 and v2, counts written by the
 * recorder's flush, read back through v1 analytics.getVerifications, v1
 * keys.getVerifications, v2 analytics.getVerifications (HTTP; the v2 SDK only has the raw
 * SQL form, which is refused) and the v1 SDK. Counts must equal the verdicts the verifies
 * got, exactly.
 */

const OUTCOMES = ["VALID", "DISABLED", "EXPIRED", "USAGE_EXCEEDED", "RATE_LIMITED", "INSUFFICIENT_PERMISSIONS", "FORBIDDEN"] as const;
const FIELD: Record<string, string> = {
  VALID: "valid",
  DISABLED: "disabled",
  EXPIRED: "expired",
  USAGE_EXCEEDED: "usageExceeded",
  RATE_LIMITED: "rateLimited",
  INSUFFICIENT_PERMISSIONS: "insufficientPermissions",
  FORBIDDEN: "forbidden",
};

interface Mix {
  ws: Workspace;
  apiId: string;
  otherApiId: string;
  keys: Record<string, { keyId: string; key: string }>;
  /** Verdicts seen, per key id and code. */
  seen: Map<string, Map<string, number>>;
  notFound: number;
  from: number;
}

function emptyRow(extra: Record<string, unknown> = {}) {
  return { valid: 0, notFound: 0, forbidden: 0, usageExceeded: 0, rateLimited: 0, unauthorized: 0, disabled: 0, insufficientPermissions: 0, expired: 0, total: 0, ...extra };
}

/** The row the counts of `codes` make. */
function rowOf(codes: Map<string, number>, extra: Record<string, unknown> = {}) {
  const row: Record<string, unknown> = emptyRow(extra);
  let total = 0;
  for (const [code, n] of codes) {
    row[FIELD[code]!] = (row[FIELD[code]!] as number) + n;
    total += n;
  }
  row.total = total;
  return row;
}

function sum(maps: Iterable<Map<string, number>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of maps) for (const [k, n] of m) out.set(k, (out.get(k) ?? 0) + n);
  return out;
}

/**
 * 1,000 verifies with a known mix: each outcome has a key made to give it (credits run out
 * after 40, the rate limit after 30), half through v1 and half through v2 with tags, plus
 * unknown keys (NOT_FOUND: not counted per key), 20 at a time.
 */
async function verifyMix(h: Harness): Promise<Mix> {
  const ws = await h.workspace();
  const apiId = await h.createApi(ws, "analytics");
  const otherApiId = await h.createApi(ws, "other");
  const keys = {
    valid: await h.createKey(ws, apiId, { ownerId: "owner-1" }),
    disabled: await h.createKey(ws, apiId, { enabled: false }),
    expired: await h.createKey(ws, apiId, { expires: Date.now() + 60_000 }),
    credits: await h.createKey(ws, apiId, { remaining: 40, ownerId: "owner-1" }),
    limited: await h.createKey(ws, apiId, { ratelimit: { type: "consistent", limit: 30, duration: 2_000_000_000 } }),
    permissions: await h.createKey(ws, apiId, { permissions: ["read"] }),
    forbidden: await h.createKey(ws, otherApiId),
  };
  // Expire it for real without waiting: the verify compares with the clock.
  await h.db.execute(sql`update keys set expires = ${Date.now() - 1} where id = ${keys.expired.keyId}`);
  const from = Date.now();
  const kinds = Object.keys(keys) as (keyof typeof keys)[];
  const seen = new Map<string, Map<string, number>>();
  let notFound = 0;
  const one = async (i: number) => {
    const kind = i % 9 < 7 ? kinds[i % 9]! : null;
    const v2 = i % 2 === 1;
    const key = kind ? keys[kind].key : `sk_${"x".repeat(20)}${i}`;
    const body: Record<string, unknown> = { key };
    if (kind === "permissions") Object.assign(body, v2 ? { permissions: "write" } : { authorization: { permissions: "write" } });
    if (kind === "forbidden" && !v2) body.apiId = apiId; // v1's apiId check; v2 has none, so its half is VALID
    if (v2) body.tags = [`parity=odd`, `kind=${kind ?? "none"}`];
    const res = v2 ? await h.post("/v2/keys.verifyKey", body, ws.rootKey) : await h.post("/v1/keys.verifyKey", body);
    expect(res.status).toBe(200);
    const code: string = (v2 ? res.body.data : res.body).code;
    if (!kind) return void (expect(code).toBe("NOT_FOUND"), notFound++);
    const keyId = keys[kind].keyId;
    const m = seen.get(keyId) ?? new Map<string, number>();
    m.set(code, (m.get(code) ?? 0) + 1);
    seen.set(keyId, m);
  };
  for (let i = 0; i < 1000; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => one(i + j)));
  return { ws, apiId, otherApiId, keys, seen, notFound, from };
}

forEachDatabase("verification analytics", (h) => {
  let mix: Mix;
  const url = useListener(h);
  let v1: UnkeyV1;
  beforeAll(async () => {
    mix = await verifyMix(h());
    v1 = v1Sdk(url(), mix.ws.rootKey);
  });
  const v2sdk = useV2Sdk(h);

  const analytics = (query: Record<string, string>, token = mix.ws.rootKey) => h().get("/v1/analytics.getVerifications", { apiId: mix.apiId, ...query }, token);

  test("nothing is written per verification; one flush writes every count, exactly what the verifies answered", async () => {
    const before = await analytics({});
    expect(before.status).toBe(200);
    expect(before.body).toEqual([emptyRow()]); // pending in memory until the flush
    expect(h().deps.analytics!.size).toBeGreaterThan(0);
    await h().deps.analytics!.flush();
    expect(h().deps.analytics!.size).toBe(0);

    // The mix is what was planned: every outcome present, with known totals.
    const all = sum(mix.seen.values());
    expect(Object.fromEntries(all)).toEqual({ VALID: 112 + 40 + 30 + 55, DISABLED: 111, EXPIRED: 111, USAGE_EXCEEDED: 111 - 40, RATE_LIMITED: 111 - 30, INSUFFICIENT_PERMISSIONS: 111, FORBIDDEN: 56 });
    expect(mix.notFound).toBe(222);

    // v1 names the API: the "forbidden" key is the other API's, so it is left out there.
    const ofApi = rowOf(sum([...mix.seen].filter(([keyId]) => keyId !== mix.keys.forbidden!.keyId).map(([, m]) => m)));
    const total = await analytics({});
    expect(total.body).toEqual([ofApi]);
    const sdk = await v1.analytics.getVerifications({ apiId: mix.apiId });
    expect(sdk.error).toBeUndefined();
    expect(sdk.result).toEqual([ofApi]);
    // v2 without apiId: every API the root key may read, so all of them.
    const v2 = await h().post("/v2/analytics.getVerifications", {}, mix.ws.rootKey);
    expect(v2.status).toBe(200);
    expect(v2.body.data).toEqual([rowOf(all)]);
    expect((await h().post("/v2/analytics.getVerifications", { apiId: mix.apiId }, mix.ws.rootKey)).body.data).toEqual([ofApi]);
  });

  test("groupBy key: one row per key, each exactly its verdicts (v1 over HTTP and SDK, v2)", async () => {
    const expected = [...mix.seen].map(([keyId, codes]) => rowOf(codes, { keyId })).sort((a, b) => (String(a.keyId) < String(b.keyId) ? -1 : 1));
    expect((await analytics({ groupBy: "key" })).body).toEqual(expected.filter((r) => r.keyId !== mix.keys.forbidden!.keyId));
    // The forbidden key is the other API's: its v1 half was FORBIDDEN, its v2 half VALID.
    const other = await h().get("/v1/analytics.getVerifications", { apiId: mix.otherApiId, groupBy: "key" }, mix.ws.rootKey);
    expect(other.body).toEqual([expected.find((r) => r.keyId === mix.keys.forbidden!.keyId)]);
    // With hours too (the run may straddle one): summed per key again, the same rows.
    const sdk = await v1.analytics.getVerifications({ apiId: mix.apiId, groupBy: ["key", "hour"] });
    expect(sdk.error).toBeUndefined();
    const perKey = new Map<string, Record<string, number | string>>();
    for (const { time, keyId, ...counts } of sdk.result!) {
      expect(time! % 3_600_000).toBe(0);
      const acc = perKey.get(keyId!) ?? {};
      for (const [k, n] of Object.entries(counts)) acc[k] = Number(acc[k] ?? 0) + (n as number);
      perKey.set(keyId!, acc);
    }
    expect([...perKey].map(([keyId, c]) => ({ ...c, keyId: keyId as string })).sort((a, b) => (a.keyId < b.keyId ? -1 : 1))).toEqual(expected.filter((r) => r.keyId !== mix.keys.forbidden!.keyId));
    const v2 = await h().post("/v2/analytics.getVerifications", { groupBy: "key" }, mix.ws.rootKey);
    expect(v2.body.data).toEqual(expected);
    // keyId filter: one key, or several summed.
    const one = await analytics({ keyId: mix.keys.credits!.keyId });
    expect(one.body).toEqual([rowOf(mix.seen.get(mix.keys.credits!.keyId)!)]);
    const two = await v1.analytics.getVerifications({ apiId: mix.apiId, keyId: [mix.keys.credits!.keyId, mix.keys.limited!.keyId] });
    expect(two.result).toEqual([rowOf(sum([mix.seen.get(mix.keys.credits!.keyId)!, mix.seen.get(mix.keys.limited!.keyId)!]))]);
  });

  test("groupBy tag and tags, and the tag filter: only v2's tagged half carries tags", async () => {
    const res = await h().post("/v2/analytics.getVerifications", { apiId: mix.apiId, groupBy: "tag", orderBy: "total", order: "desc" }, mix.ws.rootKey);
    expect(res.status).toBe(200);
    const rows: { tag: string; total: number }[] = res.body.data;
    const odd = rows.find((r) => r.tag === "parity=odd")!;
    // v2 verifies of this API's keys: the odd i among the 7 kinds except "forbidden" (other API).
    expect(odd.total).toBe(rows.filter((r) => r.tag.startsWith("kind=")).reduce((n, r) => n + r.total, 0));
    expect(rows[0]!.tag).toBe("parity=odd"); // ordered by total, descending
    const credits = rows.find((r) => r.tag === "kind=credits")!;
    expect(credits.total).toBe(56); // odd i with i % 9 == 3 below 1000
    const filtered = await analytics({ tag: "kind=credits" });
    expect(filtered.body[0].total).toBe(56);
    // tag sets: each kind's set once
    const sets = await analytics({ groupBy: "tags" });
    const kindsSeen = sets.body.filter((r: { tags: string[] }) => r.tags.length > 0).map((r: { tags: string[] }) => r.tags);
    expect(kindsSeen).toContainEqual(["kind=credits", "parity=odd"]);
    expect(sets.body.find((r: { tags: string[] }) => r.tags.length === 0).total).toBe((await analytics({})).body[0].total - odd.total);
    // Both filters at once: all tags must be present.
    expect((await analytics({ tag: "kind=credits", groupBy: "key" })).body.map((r: { keyId: string }) => r.keyId)).toEqual([mix.keys.credits!.keyId]);
    const none = await h().call("GET", "/v1/analytics.getVerifications", { query: { apiId: mix.apiId, tag: "nope" }, token: mix.ws.rootKey });
    expect(none.body).toEqual([emptyRow()]);
    expect((await analytics({ groupBy: "tag,tags" })).status).toBe(400);
  });

  test("tags with commas, quotes, braces and backslashes are recorded and filtered exactly", async () => {
    const apiId = await h().createApi(mix.ws, "tags"); // its own API: the other tests' totals stay as they are
    const { keyId, key } = await h().createKey(mix.ws, apiId);
    const odd = ["a,b", 'q"uote', "{br}", "back\\slash", "NULL", "é ü"];
    for (const tag of odd) expect((await h().post("/v2/keys.verifyKey", { key, tags: [tag, "common"] }, mix.ws.rootKey)).status).toBe(200);
    await h().deps.analytics!.flush();
    for (const tag of odd) {
      const res = await h().post("/v2/analytics.getVerifications", { apiId, keyId, tag: [tag, "common"], groupBy: "tags" }, mix.ws.rootKey);
      expect(res.body.data, tag).toEqual([expect.objectContaining({ tags: [tag, "common"].sort(), valid: 1, total: 1 })]);
    }
    const perTag = await h().call("GET", "/v1/analytics.getVerifications", { query: { apiId, keyId, groupBy: "tag" }, token: mix.ws.rootKey });
    expect(perTag.body.map((r: { tag: string; total: number }) => [r.tag, r.total])).toEqual([...odd.map((t) => [t, 1]), ["common", odd.length]].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)));
  });

  test("identities: groupBy identity and the externalId filter count the keys linked to it (v1's ownerId)", async () => {
    const owned = sum([mix.seen.get(mix.keys.valid!.keyId)!, mix.seen.get(mix.keys.credits!.keyId)!]);
    const byIdentity = await analytics({ groupBy: "identity" });
    expect(byIdentity.status, JSON.stringify(byIdentity.body)).toBe(200);
    expect(byIdentity.body).toEqual([rowOf(owned, { identity: { id: expect.any(String), externalId: "owner-1" } })]);
    const sdk = await v1.analytics.getVerifications({ apiId: mix.apiId, externalId: "owner-1" });
    expect(sdk.result).toEqual([rowOf(owned)]);
    const v2 = await h().post("/v2/analytics.getVerifications", { externalId: "owner-1", groupBy: ["identity", "key"] }, mix.ws.rootKey);
    expect(v2.body.data).toHaveLength(2);
    expect(v2.body.data.every((r: { identity: { externalId: string } }) => r.identity.externalId === "owner-1")).toBe(true);
    expect((await analytics({ externalId: "nobody" })).status).toBe(404);
    expect((await h().post("/v2/analytics.getVerifications", { externalId: "nobody" }, mix.ws.rootKey)).body.data).toEqual([emptyRow()]);
  });

  test("keys.getVerifications: per day, by keyId and by ownerId (v1 over HTTP and SDK)", async () => {
    const credits = mix.seen.get(mix.keys.credits!.keyId)!;
    const day = Math.floor(mix.from / 86_400_000) * 86_400_000;
    const res = await h().get("/v1/keys.getVerifications", { keyId: mix.keys.credits!.keyId }, mix.ws.rootKey);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ verifications: [{ time: day, success: credits.get("VALID"), rateLimited: 0, usageExceeded: credits.get("USAGE_EXCEEDED") }] });
    const owner = await v1.keys.getVerifications({ ownerId: "owner-1" });
    expect(owner.error).toBeUndefined();
    const valid = mix.seen.get(mix.keys.valid!.keyId)!;
    expect(owner.result).toEqual({ verifications: [{ time: day, success: credits.get("VALID")! + valid.get("VALID")!, rateLimited: 0, usageExceeded: credits.get("USAGE_EXCEEDED") }] });
    // A key with only other outcomes: Unkey's empty list.
    expect((await h().get("/v1/keys.getVerifications", { keyId: mix.keys.disabled!.keyId }, mix.ws.rootKey)).body).toEqual({ verifications: [] });
    expect((await h().get("/v1/keys.getVerifications", { ownerId: "nobody" }, mix.ws.rootKey)).status).toBe(404);
    expect((await h().get("/v1/keys.getVerifications", {}, mix.ws.rootKey)).status).toBe(400);
  });

  test("time: groupBy hour/day/month buckets, and a range that misses is zero", async () => {
    const all = rowOf(sum([...mix.seen].filter(([k]) => k !== mix.keys.forbidden!.keyId).map(([, m]) => m)));
    const hour = Math.floor(mix.from / 3_600_000) * 3_600_000;
    for (const [groupBy, start] of [
      ["hour", hour],
      ["day", Math.floor(mix.from / 86_400_000) * 86_400_000],
      ["month", Date.UTC(new Date(mix.from).getUTCFullYear(), new Date(mix.from).getUTCMonth(), 1)],
    ] as const) {
      const res = await analytics({ groupBy });
      const rows: { time: number; total: number }[] = res.body;
      expect(rows.reduce((n, r) => n + r.total, 0), groupBy).toBe(all.total);
      expect(rows[0]!.time, groupBy).toBeGreaterThanOrEqual(start);
    }
    expect((await analytics({ end: String(mix.from - 3_600_000) })).body).toEqual([emptyRow()]);
    expect((await analytics({ start: String(Date.now() + 3_600_000), end: String(Date.now() + 7_200_000) })).body).toEqual([emptyRow()]);
    expect((await analytics({ start: "200", end: "100" })).status).toBe(400);
    expect((await analytics({ limit: "1", groupBy: "key", orderBy: "valid", order: "desc" })).body).toHaveLength(1);
  });

  test("v2: a body with Unkey's raw SQL `query` is a 400 naming the structured parameters, through the v2 SDK too", async () => {
    const res = await h().post("/v2/analytics.getVerifications", { query: "SELECT count(*) FROM key_verifications_v1" }, mix.ws.rootKey);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain("never runs SQL");
    expect(res.body.error.errors[0].location).toBe("body.query");
    const err = await v2sdk()
      .unkey.analytics.getVerifications({ query: "SELECT 1" })
      .then(
        () => null,
        (e: unknown) => e as { statusCode?: number; message?: string },
      );
    expect(err?.statusCode).toBe(400);
    expect(String(err?.message)).toContain("structured parameters");
  });

  test("permissions: v1 needs read_api on the API, v2 read_analytics; v2 without apiId reads only the APIs the root key may", async () => {
    const reader = await h().rootKey(mix.ws, [`api.${mix.apiId}.read_api`]);
    expect((await analytics({}, reader.key)).status).toBe(200);
    expect((await h().get("/v1/analytics.getVerifications", { apiId: mix.otherApiId }, reader.key)).status).toBe(403);
    const scoped = await h().rootKey(mix.ws, [`api.${mix.otherApiId}.read_analytics`]);
    const res = await h().post("/v2/analytics.getVerifications", { groupBy: "key" }, scoped.key);
    expect(res.body.data.map((r: { keyId: string }) => r.keyId)).toEqual([mix.keys.forbidden!.keyId]);
    expect((await h().post("/v2/analytics.getVerifications", { apiId: mix.apiId }, scoped.key)).status).toBe(403);
    const none = await h().rootKey(mix.ws, ["api.*.read_key"]);
    const denied = await h().post("/v2/analytics.getVerifications", {}, none.key);
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.body)).toContain("api.*.read_analytics");
  });

  test("another workspace sees none of it: v1 404 like a missing API, v2 no rows", async () => {
    const other = await h().workspace();
    const foreign = await h().get("/v1/analytics.getVerifications", { apiId: mix.apiId }, other.rootKey);
    const missing = await h().get("/v1/analytics.getVerifications", { apiId: "api_missing" }, other.rootKey);
    expect(foreign.status).toBe(404);
    expect({ ...foreign.body, error: { ...foreign.body.error, requestId: "" } }).toEqual({ ...missing.body, error: { ...missing.body.error, requestId: "" } });
    expect((await h().post("/v2/analytics.getVerifications", { apiId: mix.apiId }, other.rootKey)).body.data).toEqual([emptyRow()]);
    expect((await h().post("/v2/analytics.getVerifications", { groupBy: "key" }, other.rootKey)).body.data).toEqual([]);
    expect((await h().get("/v1/keys.getVerifications", { keyId: mix.keys.valid!.keyId }, other.rootKey)).status).toBe(404);
    expect((await h().get("/v1/keys.getVerifications", { ownerId: "owner-1" }, other.rootKey)).status).toBe(404);
  });

  test("v2 without apiId reads the workspace's live APIs: a deleted API's counts are left out (last: it deletes the other API)", async () => {
    const before = await h().post("/v2/analytics.getVerifications", { groupBy: "key" }, mix.ws.rootKey);
    expect(before.body.data.map((r: { keyId: string }) => r.keyId)).toContain(mix.keys.forbidden!.keyId);
    expect((await h().post("/v1/apis.deleteApi", { apiId: mix.otherApiId }, mix.ws.rootKey)).status).toBe(200);
    const after = await h().post("/v2/analytics.getVerifications", { groupBy: "key" }, mix.ws.rootKey);
    expect(after.body.data.map((r: { keyId: string }) => r.keyId)).not.toContain(mix.keys.forbidden!.keyId);
    expect(after.body.data).toHaveLength(before.body.data.length - 1);
  });

  test("stored in day partitions of the minute table; nothing in the hour table yet", async () => {
    const parts = await executeRows<{ name: string }>(
      h().db,
      sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent where p.relname = 'key_verifications_minute'`,
    );
    const today = new Date(mix.from).toISOString().slice(0, 10).replaceAll("-", "");
    expect(parts.map((p) => p.name)).toContain(`key_verifications_minute_p${today}`);
    const [hours] = await executeRows<{ n: number }>(h().db, sql`select count(*)::int as n from key_verifications_hour`);
    expect(hours!.n).toBe(0);
  });
});

onTwoInstances("verification analytics on two instances of one PostgreSQL", (a, b) => {
  test("each instance counts its own verifies; flushed concurrently into the same rows, they add up exactly", async () => {
    const ws = await a().workspace();
    const apiId = await a().createApi(ws, "two");
    const { keyId, key } = await a().createKey(ws, apiId);
    const verify = (h: Harness, n: number) => Promise.all(Array.from({ length: n }, () => h.post("/v2/keys.verifyKey", { key, tags: ["shared"] }, ws.rootKey)));
    for (let round = 0; round < 5; round++) {
      await Promise.all([verify(a(), 40), verify(b(), 60)]);
      // Both write the same (key, minute, outcome, tags) row at once: the upsert adds, never overwrites.
      await Promise.all([a().deps.analytics!.flush(), b().deps.analytics!.flush()]);
    }
    const res = await a().get("/v1/analytics.getVerifications", { apiId, groupBy: "key" }, ws.rootKey);
    expect(res.body).toEqual([expect.objectContaining({ keyId, valid: 500, total: 500 })]);
    const fromB = await b().post("/v2/analytics.getVerifications", { apiId, tag: "shared" }, ws.rootKey);
    expect(fromB.body.data[0].total).toBe(500);
  });
});
