import { sql } from "drizzle-orm";
import { afterEach, expect, test, vi } from "vitest";
import { executeRows } from "../../src/db/execute-rows.ts";
import { type Harness, type Workspace, forEachDatabase, onTwoInstances } from "../harness.ts";
import { countCodes, onlyPostgres } from "./limits-helpers.ts";

const WINDOW = 60_000;

/**
 * Identity rate limits are shared by every key of the identity: 3 keys with a shared limit
 * of 10 per window give exactly 10 VALID in total, however many verifies race on however
 * many instances, through the same atomic window upsert as a key's own limits. A verify
 * refused by any limit (the key's or the identity's) takes nothing from the others. The
 * clock is pinned inside one window for each burst, as in 03.
 */

interface SharedFixture {
  ws: Workspace;
  identityId: string;
  keys: string[];
}

async function sharedFixture(h: Harness, identityLimits: unknown[], keyBodies: Record<string, unknown>[]): Promise<SharedFixture> {
  const ws = await h.workspace();
  const apiId = await h.createApi(ws);
  const externalId = `org_${ws.workspaceId}`;
  const created = await h.post("/v2/identities.createIdentity", { externalId, ratelimits: identityLimits }, ws.rootKey);
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const keys = [];
  for (const body of keyBodies) keys.push((await h.post("/v2/keys.createKey", { apiId, externalId, ...body }, ws.rootKey)).body.data.key as string);
  return { ws, identityId: created.body.data.identityId, keys };
}

const v2Verify = (h: Harness, ws: Workspace, key: string, extra: Record<string, unknown> = {}) =>
  h.post("/v2/keys.verifyKey", { key, ...extra }, ws.rootKey).then((r) => ({ ...r, body: r.body.data ?? r.body }));

async function windowCount(h: Harness, subjectId: string, name: string): Promise<number | undefined> {
  const rows = await executeRows<{ count: number }>(h.db, sql`select count from ratelimit_windows where subject_id = ${subjectId} and name = ${name}`);
  return rows[0]?.count;
}

function pinClock(): number {
  const windowStart = (Math.floor(Date.now() / WINDOW) + 2) * WINDOW;
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(windowStart + 1);
  return windowStart;
}

/** Names some limits in an order that differs per request, so the lock order is the code's, not the caller's. */
function shuffledNames(i: number): { name: string }[] {
  const names = [{ name: "burst" }, { name: "org.named" }];
  return i % 2 === 0 ? names : names.reverse();
}

forEachDatabase(
  "adversarial 18: identity limits are shared, exactly",
  (h) => {
    afterEach(() => {
      vi.useRealTimers();
    });

    test("3 keys of one identity, shared 10/window, 120 concurrent verifies over the 3: exactly 10 VALID in total", async ({ skip }) => {
      skip(onlyPostgres(h()), "races are real on PostgreSQL, which is configured");
      const { ws, identityId, keys } = await sharedFixture(h(), [{ name: "org", limit: 10, duration: WINDOW, autoApply: true }], [{}, {}, {}]);
      const windowStart = pinClock();
      const results = await Promise.all(Array.from({ length: 120 }, (_, i) => v2Verify(h(), ws, keys[i % 3]!)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(countCodes(results)).toEqual({ VALID: 10, RATE_LIMITED: 110 });
      const left = results.filter((r) => r.body.valid).map((r) => r.body.ratelimits[0].remaining).sort((a: number, b: number) => a - b);
      expect(left).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await windowCount(h(), identityId, "org")).toBe(10);
      // The next window admits 10 again, shared.
      vi.setSystemTime(windowStart + WINDOW + 1);
      const next = await Promise.all(Array.from({ length: 30 }, (_, i) => v2Verify(h(), ws, keys[i % 3]!)));
      expect(countCodes(next)).toEqual({ VALID: 10, RATE_LIMITED: 20 });
    });

    test("key limits, an auto-applied identity limit and named identity limits named in either order: exact, no deadlock, each refusal rolls everything back", async ({ skip }) => {
      skip(onlyPostgres(h()), "races are real on PostgreSQL, which is configured");
      const { ws, identityId, keys } = await sharedFixture(
        h(),
        [
          { name: "org", limit: 10, duration: WINDOW, autoApply: true },
          { name: "org.named", limit: 1000, duration: WINDOW, autoApply: false },
        ],
        // Each key also has its own limits: 4 per window (auto) and a named one.
        [0, 1, 2].map(() => ({ ratelimits: [{ name: "own", limit: 4, duration: WINDOW, autoApply: true }, { name: "burst", limit: 1000, duration: WINDOW }] })),
      );
      pinClock();
      const results = await Promise.all(Array.from({ length: 150 }, (_, i) => v2Verify(h(), ws, keys[i % 3]!, { ratelimits: shuffledNames(i) })));
      expect(results.every((r) => r.status === 200), JSON.stringify(results.find((r) => r.status !== 200)?.body)).toBe(true);
      // 3 keys × 4 own would admit 12; the shared 10 admits 10.
      expect(countCodes(results)).toEqual({ VALID: 10, RATE_LIMITED: 140 });
      // Every refusal gave back what the passing limits took: the counters equal the VALID count.
      expect(await windowCount(h(), identityId, "org")).toBe(10);
      expect(await windowCount(h(), identityId, "org.named")).toBe(10);
    });

    test("a verify refused by the key's own limit takes nothing from the identity's, and the other way round", async () => {
      const { ws, identityId, keys } = await sharedFixture(
        h(),
        [{ name: "org", limit: 3, duration: WINDOW, autoApply: true }],
        [{ ratelimits: [{ name: "own", limit: 1, duration: WINDOW, autoApply: true }] }, {}],
      );
      pinClock();
      const [tight, loose] = keys as [string, string];
      const first = await Promise.all(Array.from({ length: 5 }, () => v2Verify(h(), ws, tight)));
      expect(countCodes(first)).toEqual({ VALID: 1, RATE_LIMITED: 4 });
      expect(await windowCount(h(), identityId, "org")).toBe(1);
      const second = [];
      for (let i = 0; i < 4; i++) second.push(await v2Verify(h(), ws, loose));
      expect(second.map((r) => r.body.code)).toEqual(["VALID", "VALID", "RATE_LIMITED", "RATE_LIMITED"]);
      expect(await windowCount(h(), identityId, "org")).toBe(3);
      // Refused by the identity: the key's own window did not move either.
      const again = await v2Verify(h(), ws, tight);
      expect(again.body.code).toBe("RATE_LIMITED");
      expect(again.body.ratelimits.map((r: { name: string; exceeded: boolean }) => [r.name, r.exceeded])).toEqual([
        ["org", true],
        ["own", true],
      ]);
    });

    test("credits refusing after the shared limit passed give the shared slot back", async () => {
      const { ws, identityId, keys } = await sharedFixture(h(), [{ name: "org", limit: 5, duration: WINDOW, autoApply: true }], [{ credits: { remaining: 1 } }]);
      pinClock();
      expect((await v2Verify(h(), ws, keys[0]!)).body.code).toBe("VALID");
      const refused = await v2Verify(h(), ws, keys[0]!);
      expect(refused.body.code).toBe("USAGE_EXCEEDED");
      expect(await windowCount(h(), identityId, "org")).toBe(1);
    });
  },
  { cache: true },
);

onTwoInstances(
  "adversarial 18: identity limits across two instances on one PostgreSQL",
  (a, b) => {
    afterEach(() => {
      vi.useRealTimers();
    });

    test("3 keys of one identity, shared 10/window, 120 concurrent verifies spread over two instances: exactly 10 VALID", async () => {
      const { ws, identityId, keys } = await sharedFixture(a(), [{ name: "org", limit: 10, duration: WINDOW, autoApply: true }], [{}, {}, {}]);
      pinClock();
      const results = await Promise.all(Array.from({ length: 120 }, (_, i) => v2Verify(i % 2 === 0 ? a() : b(), ws, keys[i % 3]!)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(countCodes(results)).toEqual({ VALID: 10, RATE_LIMITED: 110 });
      expect(await windowCount(b(), identityId, "org")).toBe(10);
    });
  },
  { cache: true },
);
