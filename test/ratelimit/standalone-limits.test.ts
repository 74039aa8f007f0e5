import { sql } from "drizzle-orm";
import { afterEach, describe, expect, test, vi } from "vitest";
import { executeRows } from "../../src/db/execute-rows.ts";
import { pruneExpiredWindows } from "../../src/ratelimits/windows.ts";
import { onlyPostgres } from "../adversarial/limits-helpers.ts";
import { type Harness, type Workspace, forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope } from "../security/envelope.ts";

/**
 * Standalone rate limits over HTTP, both versions, on a real database: namespaces made on
 * first use, counting in the same windows as key limits, overrides (exact beats a pattern,
 * the oldest pattern wins), multiLimit's all-or-nothing, permissions and ended windows.
 */
const WINDOW = 60_000;
const limitV2 = (h: Harness, token: string, body: Record<string, unknown>) => h.post("/v2/ratelimit.limit", body, token);
const limitV1 = (h: Harness, token: string, body: Record<string, unknown>) => h.post("/v1/ratelimits.limit", body, token);

/** Windows rows of a namespace, for "what did it count" checks. */
async function windowsOf(h: Harness, namespaceId: string) {
  return executeRows<{ name: string; count: number; window_start: string; expires_at: string }>(
    h.db,
    sql`select name, count, window_start::text, expires_at::text from ratelimit_windows where subject_id = ${namespaceId} order by name`,
  );
}

async function namespaceId(h: Harness, ws: Workspace, name: string): Promise<string> {
  const [row] = await executeRows<{ id: string }>(h.db, sql`select id from ratelimit_namespaces where workspace_id = ${ws.workspaceId} and name = ${name}`);
  return row!.id;
}

forEachDatabase("standalone rate limits", (h) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Inside one window, 5 ms after it started, so a slow machine can't straddle a boundary. */
  function pinClock(duration = WINDOW): number {
    const windowStart = (Math.floor(Date.now() / duration) + 2) * duration;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(windowStart + 5);
    return windowStart;
  }

  test("v2 limit: the first call makes the namespace; calls count down to a refusal; the next window starts afresh", async () => {
    const ws = await h().workspace();
    const start = pinClock();
    const call = () => limitV2(h(), ws.rootKey, { namespace: "email.outbound", identifier: "user_1", limit: 3, duration: WINDOW });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await call()).body.data);
    expect(answers).toEqual([
      { success: true, limit: 3, remaining: 2, reset: start + WINDOW },
      { success: true, limit: 3, remaining: 1, reset: start + WINDOW },
      { success: true, limit: 3, remaining: 0, reset: start + WINDOW },
      { success: false, limit: 3, remaining: 0, reset: start + WINDOW },
    ]);
    const id = await namespaceId(h(), ws, "email.outbound");
    expect(id).toMatch(/^rlns_/);
    // Another identifier has its own window; the same identifier by namespace id is the same one.
    expect((await limitV2(h(), ws.rootKey, { namespace: "email.outbound", identifier: "user_2", limit: 3, duration: WINDOW })).body.data).toMatchObject({ success: true, remaining: 2 });
    expect((await limitV2(h(), ws.rootKey, { namespace: id, identifier: "user_1", limit: 3, duration: WINDOW })).body.data).toMatchObject({ success: false, remaining: 0 });
    vi.setSystemTime(start + WINDOW);
    expect((await call()).body.data).toEqual({ success: true, limit: 3, remaining: 2, reset: start + 2 * WINDOW });
    // One namespace, however many calls made it.
    const rows = await executeRows(h().db, sql`select id from ratelimit_namespaces where workspace_id = ${ws.workspaceId}`);
    expect(rows).toHaveLength(1);
  });

  test("cost: weighted calls, 0 reads without spending, a cost over the limit is refused and spends nothing", async () => {
    const ws = await h().workspace();
    pinClock();
    const call = (cost?: number) => limitV2(h(), ws.rootKey, { namespace: "tokens", identifier: "u", limit: 10, duration: WINDOW, ...(cost !== undefined && { cost }) });
    expect((await call(4)).body.data).toMatchObject({ success: true, remaining: 6 });
    expect((await call(0)).body.data).toMatchObject({ success: true, remaining: 6 });
    expect((await call(11)).body.data).toMatchObject({ success: false, remaining: 6 });
    expect((await call(7)).body.data).toMatchObject({ success: false, remaining: 6 });
    expect((await call(6)).body.data).toMatchObject({ success: true, remaining: 0 });
    expect((await call(0)).body.data).toMatchObject({ success: true, remaining: 0 });
    expect((await call()).body.data).toMatchObject({ success: false, remaining: 0 });
  });

  test("v1 limit: the same service and windows; namespace defaults to `default`", async () => {
    const ws = await h().workspace();
    const start = pinClock();
    const v1 = await limitV1(h(), ws.rootKey, { identifier: "ip-1", limit: 2, duration: WINDOW, async: true, meta: { path: "/x" }, resources: [{ type: "project", id: "p_1" }] });
    expect(v1.status).toBe(200);
    expect(v1.body).toEqual({ success: true, limit: 2, remaining: 1, reset: start + WINDOW });
    // The v2 call on the same namespace and identifier counts in the same window.
    expect((await limitV2(h(), ws.rootKey, { namespace: "default", identifier: "ip-1", limit: 2, duration: WINDOW })).body.data).toMatchObject({ success: true, remaining: 0 });
    expect((await limitV1(h(), ws.rootKey, { identifier: "ip-1", limit: 2, duration: WINDOW })).body).toMatchObject({ success: false, remaining: 0 });
  });

  test("overrides: exact beats a pattern, the oldest matching pattern wins, 0 blocks, a deleted override stops at once", async () => {
    const ws = await h().workspace();
    pinClock();
    const ns = "api.requests";
    const limit = (identifier: string) => limitV2(h(), ws.rootKey, { namespace: ns, identifier, limit: 1, duration: WINDOW });
    await limit("warm-up"); // makes the namespace (and caches it)
    const set = async (identifier: string, limit: number) => {
      const res = await h().post("/v2/ratelimit.setOverride", { namespace: ns, identifier, limit, duration: WINDOW }, ws.rootKey);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.data.overrideId as string;
    };
    const premium = await set("premium_*", 5);
    const premiumOld = await set("*_old", 7); // newer than premium_*: premium_old matches both, premium_* wins
    const exact = await set("premium_vip", 100);
    const banned = await set("banned@*", 0);
    expect(premium).toMatch(/^rlor_/);

    expect((await limit("premium_a")).body.data).toMatchObject({ success: true, limit: 5, remaining: 4, overrideId: premium });
    expect((await limit("premium_old")).body.data).toMatchObject({ success: true, limit: 5, overrideId: premium });
    expect((await limit("x_old")).body.data).toMatchObject({ success: true, limit: 7, overrideId: premiumOld });
    expect((await limit("premium_vip")).body.data).toMatchObject({ success: true, limit: 100, remaining: 99, overrideId: exact });
    expect((await limit("banned@example.com")).body.data).toMatchObject({ success: false, limit: 0, remaining: 0, overrideId: banned });
    // `*` is the only special character: a pattern's `.` or `+` is itself.
    expect((await limit("premium")).body.data).toEqual(expect.not.objectContaining({ overrideId: expect.anything() }));
    expect((await limit("other")).body.data).toEqual({ success: true, limit: 1, remaining: 0, reset: expect.any(Number) });

    // Replacing keeps the id; the next call sees the new limit.
    expect(await set("premium_*", 6)).toBe(premium);
    expect((await limit("premium_b")).body.data).toMatchObject({ limit: 6, overrideId: premium });
    // A deleted pattern: its identifiers fall back to the request's limit (or the next pattern).
    expect((await h().post("/v2/ratelimit.deleteOverride", { namespace: ns, identifier: "premium_*" }, ws.rootKey)).status).toBe(200);
    expect((await limit("premium_c")).body.data).toEqual({ success: true, limit: 1, remaining: 0, reset: expect.any(Number) });
    expect((await limit("premium_old")).body.data).toMatchObject({ limit: 7, overrideId: premiumOld });
  });

  test("an override that changes the duration counts in a window of its own", async () => {
    const ws = await h().workspace();
    const start = pinClock(3_600_000);
    const call = () => limitV2(h(), ws.rootKey, { namespace: "d", identifier: "u", limit: 2, duration: WINDOW });
    expect((await call()).body.data).toMatchObject({ success: true, remaining: 1, reset: start + WINDOW });
    await h().post("/v2/ratelimit.setOverride", { namespace: "d", identifier: "u", limit: 3, duration: 3_600_000 }, ws.rootKey);
    expect((await call()).body.data).toMatchObject({ success: true, limit: 3, remaining: 2, reset: start + 3_600_000 });
  });

  test("override admin: get (v2 matching, v1 exact), list with paging and total, delete, 404s", async () => {
    const ws = await h().workspace();
    await limitV2(h(), ws.rootKey, { namespace: "admin", identifier: "x", limit: 1, duration: WINDOW });
    const nsId = await namespaceId(h(), ws, "admin");
    const ids: string[] = [];
    for (const identifier of ["a_*", "b", "c", "d", "e"]) {
      const res = await h().post("/v1/ratelimits.setOverride", { namespaceName: "admin", identifier: identifier.padEnd(3, "_"), limit: 4, duration: 2000, async: true }, ws.rootKey);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      ids.push(res.body.overrideId);
    }
    // v2 getOverride answers the override a limit call would use; v1 only the exact one.
    const v2 = await h().post("/v2/ratelimit.getOverride", { namespace: nsId, identifier: "a_zzz" }, ws.rootKey);
    expect(v2.body.data).toEqual({ overrideId: ids[0], identifier: "a_*", limit: 4, duration: 2000 });
    expectErrorEnvelope(await h().get("/v1/ratelimits.getOverride", { namespaceId: nsId, identifier: "a_zzz" }, ws.rootKey), "NOT_FOUND");
    expect((await h().get("/v1/ratelimits.getOverride", { namespaceName: "admin", identifier: "a_*" }, ws.rootKey)).body).toEqual({
      id: ids[0],
      identifier: "a_*",
      limit: 4,
      duration: 2000,
      async: true,
    });
    // Pages: v2 by 2, v1 by 3, both oldest first and complete.
    const v2Pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await h().post("/v2/ratelimit.listOverrides", { namespace: "admin", limit: 2, ...(cursor && { cursor }) }, ws.rootKey);
      v2Pages.push(...page.body.data.map((o: { overrideId: string }) => o.overrideId));
      cursor = page.body.pagination.hasMore ? page.body.pagination.cursor : undefined;
    } while (cursor);
    expect(v2Pages).toEqual(ids);
    const first = await h().get("/v1/ratelimits.listOverrides", { namespaceId: nsId, limit: "3" }, ws.rootKey);
    expect(first.body).toMatchObject({ total: 5, cursor: ids[2] });
    const second = await h().get("/v1/ratelimits.listOverrides", { namespaceId: nsId, limit: "3", cursor: first.body.cursor }, ws.rootKey);
    expect(second.body.overrides.map((o: { id: string }) => o.id)).toEqual(ids.slice(3));
    expect(second.body).not.toHaveProperty("cursor");
    // Delete by exact identifier (v1 and v2); deleting again is a 404.
    expect((await h().post("/v1/ratelimits.deleteOverride", { namespaceName: "admin", identifier: "b__" }, ws.rootKey)).status).toBe(200);
    expectErrorEnvelope(await h().post("/v1/ratelimits.deleteOverride", { namespaceName: "admin", identifier: "b__" }, ws.rootKey), "NOT_FOUND");
    expectErrorEnvelope(await h().post("/v2/ratelimit.deleteOverride", { namespace: "admin", identifier: "a_zzz" }, ws.rootKey), "NOT_FOUND");
    expect((await h().post("/v2/ratelimit.deleteOverride", { namespace: "admin", identifier: "a_*" }, ws.rootKey)).status).toBe(200);
    expect((await h().post("/v2/ratelimit.listOverrides", { namespace: "admin" }, ws.rootKey)).body.data).toHaveLength(3);
    // Missing namespaces: 404 on every admin route (they create nothing).
    for (const [path, body] of [
      ["/v2/ratelimit.setOverride", { namespace: "nope", identifier: "u", limit: 1, duration: 1000 }],
      ["/v2/ratelimit.getOverride", { namespace: "nope", identifier: "u" }],
      ["/v2/ratelimit.listOverrides", { namespace: "nope" }],
      ["/v2/ratelimit.deleteOverride", { namespace: "nope", identifier: "u" }],
      ["/v1/ratelimits.setOverride", { namespaceName: "nope", identifier: "uuu", limit: 1, duration: 1000 }],
      ["/v1/ratelimits.deleteOverride", { namespaceId: "rlns_nope", identifier: "u" }],
    ] as const) {
      const res = await h().post(path, body, ws.rootKey);
      expectErrorEnvelope(res, "NOT_FOUND", path);
      expect(JSON.stringify(res.body)).toContain("namespace does not exist");
    }
    expect(await executeRows(h().db, sql`select id from ratelimit_namespaces where workspace_id = ${ws.workspaceId}`)).toHaveLength(1);
  });

  test("multiLimit: all pass → all counted; one fails → nothing counted, the fitting ones say so with what is left", async () => {
    const ws = await h().workspace();
    pinClock();
    const check = (namespace: string, identifier: string, limit: number, cost = 1) => ({ namespace, identifier, limit, duration: WINDOW, cost });
    const multi = (checks: unknown[]) => h().post("/v2/ratelimit.multiLimit", checks, ws.rootKey);
    const ok = await multi([check("per-user", "u1", 5), check("per-org", "o1", 2)]);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.data).toMatchObject({
      passed: true,
      limits: [
        { namespace: "per-user", identifier: "u1", passed: true, limit: 5, remaining: 4 },
        { namespace: "per-org", identifier: "o1", passed: true, limit: 2, remaining: 1 },
      ],
    });
    const failed = await multi([check("per-user", "u1", 5), check("per-org", "o1", 2, 2)]);
    expect(failed.body.data).toMatchObject({
      passed: false,
      limits: [
        { passed: true, limit: 5, remaining: 4 }, // nothing was taken: still 4 left
        { passed: false, limit: 2, remaining: 1 },
      ],
    });
    const counts = async () => [...(await windowsOf(h(), await namespaceId(h(), ws, "per-user"))), ...(await windowsOf(h(), await namespaceId(h(), ws, "per-org")))].map((w) => w.count);
    expect(await counts()).toEqual([1, 1]);
    // The same window twice in one batch: the second sees the first.
    const twice = await multi([check("per-org", "o1", 2), check("per-org", "o1", 2)]);
    expect(twice.body.data).toMatchObject({ passed: false, limits: [{ passed: true, remaining: 1 }, { passed: false, remaining: 0 }] });
    expect(await counts()).toEqual([1, 1]);
    // By namespace id, and creating a new namespace in the same call.
    const id = await namespaceId(h(), ws, "per-user");
    const mixed = await multi([check(id, "u1", 5), check("brand-new", "z", 1)]);
    expect(mixed.body.data).toMatchObject({ passed: true, limits: [{ namespace: id, remaining: 3 }, { namespace: "brand-new", remaining: 0 }] });
  });

  test("permissions: per-namespace grants, create_namespace for new names (v2 403, v1 404), ids never create", async () => {
    const ws = await h().workspace();
    await limitV2(h(), ws.rootKey, { namespace: "mine", identifier: "u", limit: 5, duration: WINDOW });
    await limitV2(h(), ws.rootKey, { namespace: "theirs", identifier: "u", limit: 5, duration: WINDOW });
    const mine = await namespaceId(h(), ws, "mine");
    const scoped = await h().rootKey(ws, [`ratelimit.${mine}.limit`, `ratelimit.${mine}.set_override`, `ratelimit.${mine}.read_override`, `ratelimit.${mine}.delete_override`]);
    const body = (namespace: string) => ({ namespace, identifier: "u", limit: 5, duration: WINDOW });
    expect((await limitV2(h(), scoped.key, body("mine"))).body.data).toMatchObject({ success: true });
    expect((await limitV2(h(), scoped.key, body(mine))).body.data).toMatchObject({ success: true });
    const other = await limitV2(h(), scoped.key, body("theirs"));
    expectErrorEnvelope(other, "INSUFFICIENT_PERMISSIONS");
    expect(other.body.error.detail).toContain("ratelimit.*.limit");
    expectErrorEnvelope(await h().post("/v2/ratelimit.multiLimit", [body("mine"), body("theirs")], scoped.key), "INSUFFICIENT_PERMISSIONS");
    expect((await h().post("/v2/ratelimit.multiLimit", [body("mine"), body(mine)], scoped.key)).body.data.passed).toBe(true);
    const created = await limitV2(h(), scoped.key, body("new-one"));
    expectErrorEnvelope(created, "INSUFFICIENT_PERMISSIONS");
    expect(created.body.error.detail).toContain("ratelimit.*.create_namespace");
    expectErrorEnvelope(await limitV1(h(), scoped.key, { ...body("new-one"), namespace: "new-one" }), "NOT_FOUND");
    expect((await h().post("/v2/ratelimit.setOverride", { namespace: "mine", identifier: "vip", limit: 9, duration: WINDOW }, scoped.key)).status).toBe(200);
    expectErrorEnvelope(await h().post("/v2/ratelimit.setOverride", { namespace: "theirs", identifier: "vip", limit: 9, duration: WINDOW }, scoped.key), "INSUFFICIENT_PERMISSIONS");
    // An id-shaped name that is no namespace of the workspace: NOT_FOUND, even with `*`.
    expectErrorEnvelope(await limitV2(h(), ws.rootKey, body("rlns_1Ghu6XbK2fQzTQJmT8WJ3c")), "NOT_FOUND");
    // create_namespace alone creates, and then needs limit.
    const creator = await h().rootKey(ws, ["ratelimit.*.create_namespace"]);
    expectErrorEnvelope(await limitV2(h(), creator.key, body("made-by-creator")), "INSUFFICIENT_PERMISSIONS");
    const both = await h().rootKey(ws, ["ratelimit.*.create_namespace", "ratelimit.*.limit"]);
    expect((await limitV2(h(), both.key, body("made-by-both"))).body.data).toMatchObject({ success: true });
  });

  test("v2 getOverride hides an override from a root key that may not read it: the same 404 as a missing one", async () => {
    const ws = await h().workspace();
    await limitV2(h(), ws.rootKey, { namespace: "hidden", identifier: "u", limit: 5, duration: WINDOW });
    await h().post("/v2/ratelimit.setOverride", { namespace: "hidden", identifier: "vip", limit: 9, duration: WINDOW }, ws.rootKey);
    const stranger = await h().rootKey(ws, ["ratelimit.*.limit"]);
    const existing = await h().post("/v2/ratelimit.getOverride", { namespace: "hidden", identifier: "vip" }, stranger.key);
    const missing = await h().post("/v2/ratelimit.getOverride", { namespace: "hidden", identifier: "nobody" }, stranger.key);
    expectErrorEnvelope(existing, "NOT_FOUND");
    expect({ ...existing.body, meta: null }).toEqual({ ...missing.body, meta: null });
    // v1 refuses with 403 as Unkey v1 did.
    expectErrorEnvelope(await h().get("/v1/ratelimits.getOverride", { namespaceName: "hidden", identifier: "vip" }, stranger.key), "INSUFFICIENT_PERMISSIONS");
  });

  test("workspaces are walled: the same names count apart, another workspace's namespace id is NOT_FOUND and its windows are untouched", async () => {
    const a = await h().workspace();
    const b = await h().workspace();
    pinClock();
    const body = (namespace: string) => ({ namespace, identifier: "shared", limit: 2, duration: WINDOW });
    await limitV2(h(), a.rootKey, body("same-name"));
    await limitV2(h(), a.rootKey, body("same-name"));
    expect((await limitV2(h(), b.rootKey, body("same-name"))).body.data).toMatchObject({ success: true, remaining: 1 });
    const idA = await namespaceId(h(), a, "same-name");
    const before = await windowsOf(h(), idA);
    for (const res of [
      await limitV2(h(), b.rootKey, body(idA)),
      await limitV1(h(), b.rootKey, body(idA)),
      await h().post("/v2/ratelimit.multiLimit", [body(idA)], b.rootKey),
      await h().post("/v2/ratelimit.getOverride", { namespace: idA, identifier: "shared" }, b.rootKey),
      await h().get("/v1/ratelimits.listOverrides", { namespaceId: idA }, b.rootKey),
    ]) {
      expectErrorEnvelope(res, "NOT_FOUND");
      expect(JSON.stringify(res.body)).not.toContain(idA);
    }
    expect(await windowsOf(h(), idA)).toEqual(before);
  });

  test("ended windows of standalone limits are pruned; live ones stay", async () => {
    const ws = await h().workspace();
    // 10 s into an hour (a 2 s window starts there too), so the hour's window outlives the pruning below.
    const start = (Math.floor(Date.now() / 3_600_000) + 1) * 3_600_000 + 10_000;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(start + 5);
    await limitV2(h(), ws.rootKey, { namespace: "short", identifier: "ended", limit: 5, duration: 2000 });
    await limitV2(h(), ws.rootKey, { namespace: "short", identifier: "live", limit: 5, duration: 3_600_000 });
    const id = await namespaceId(h(), ws, "short");
    expect((await windowsOf(h(), id)).map((w) => [w.name, Number(w.expires_at)])).toEqual([
      ["2000:ended", start + 2000],
      ["3600000:live", start - 10_000 + 3_600_000],
    ]);
    // Past the 2 s window and the pruner's grace (60 s), still inside the hour's.
    await pruneExpiredWindows(h().db, start + 2000 + 60_001);
    expect((await windowsOf(h(), id)).map((w) => w.name)).toEqual(["3600000:live"]);
  });

  test("the largest accepted numbers are answered, never with a 5xx: a full window refuses instead of overflowing", async () => {
    const ws = await h().workspace();
    const MAX = 2 ** 31 - 1;
    const body = { namespace: "big", identifier: "u", limit: MAX, duration: 2_592_000_000, cost: MAX };
    expect((await limitV2(h(), ws.rootKey, body)).body.data).toMatchObject({ success: true, limit: MAX, remaining: 0 });
    expect((await limitV2(h(), ws.rootKey, { ...body, cost: 1 })).body.data).toMatchObject({ success: false, remaining: 0 });
    expect((await limitV1(h(), ws.rootKey, body)).body).toMatchObject({ success: false, remaining: 0 });
    const set = await h().post("/v2/ratelimit.setOverride", { namespace: "big", identifier: "v*", limit: MAX, duration: 2_592_000_000 }, ws.rootKey);
    expect(set.status).toBe(200);
    expect((await limitV2(h(), ws.rootKey, { ...body, identifier: "vip" })).body.data).toMatchObject({ success: true, limit: MAX, remaining: 0 });
  });

  describe("exactness under concurrency", () => {
    test("100 concurrent calls on limit 10: exactly 10 succeed (v2), then 10 of 100 in the next window (v1)", async ({ skip }) => {
      skip(onlyPostgres(h()), "races are real on PostgreSQL, which is configured");
      const ws = await h().workspace();
      await limitV2(h(), ws.rootKey, { namespace: "race", identifier: "warm", limit: 1, duration: WINDOW });
      const start = pinClock();
      const body = { namespace: "race", identifier: "hot", limit: 10, duration: WINDOW };
      const v2 = await Promise.all(Array.from({ length: 100 }, () => limitV2(h(), ws.rootKey, body)));
      expect(v2.every((r) => r.status === 200)).toBe(true);
      expect(v2.filter((r) => r.body.data.success)).toHaveLength(10);
      expect(v2.filter((r) => r.body.data.success).map((r) => r.body.data.remaining).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      vi.setSystemTime(start + WINDOW + 5);
      const v1 = await Promise.all(Array.from({ length: 100 }, () => limitV1(h(), ws.rootKey, body)));
      expect(v1.filter((r) => r.body.success)).toHaveLength(10);
    });

    test("multiLimit under concurrency: 50 batches of two limits (10 and 20) admit exactly 10 batches, and both windows hold 10", async ({ skip }) => {
      skip(onlyPostgres(h()), "races are real on PostgreSQL, which is configured");
      const ws = await h().workspace();
      pinClock();
      // Half the batches name the windows in the other order: one lock order, no deadlock.
      const a = { namespace: "m-a", identifier: "x", limit: 10, duration: WINDOW };
      const b = { namespace: "m-b", identifier: "x", limit: 20, duration: WINDOW };
      await h().post("/v2/ratelimit.multiLimit", [{ ...a, cost: 0 }, { ...b, cost: 0 }], ws.rootKey);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => h().post("/v2/ratelimit.multiLimit", i % 2 ? [a, b] : [b, a], ws.rootKey)));
      expect(results.every((r) => r.status === 200), JSON.stringify(results.find((r) => r.status !== 200)?.body)).toBe(true);
      expect(results.filter((r) => r.body.data.passed)).toHaveLength(10);
      const counts = [...(await windowsOf(h(), await namespaceId(h(), ws, "m-a"))), ...(await windowsOf(h(), await namespaceId(h(), ws, "m-b")))].map((w) => w.count);
      expect(counts).toEqual([10, 10]);
    });
  });
});
