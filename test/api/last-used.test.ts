import { eq, inArray, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import pino from "pino";
import postgres from "postgres";
import { expect, test } from "vitest";
import type { Database } from "../../src/db/client.ts";
import * as schema from "../../src/db/schema.ts";
import { keys } from "../../src/db/schema.ts";
import { rowsOf } from "../../src/db/execute-rows.ts";
import { LAST_USED_DEFAULTS, LastUsedRecorder } from "../../src/keys/last-used.ts";
import { roomyWindow } from "../adversarial/limits-helpers.ts";
import { type Harness, forEachDatabase } from "../harness.ts";

async function lastUsedAt(h: Harness, keyId: string): Promise<number | null> {
  const [row] = await h.db.select({ at: keys.lastUsedAt }).from(keys).where(eq(keys.id, keyId));
  return row!.at;
}

/** The time a call's verify noted lies between these two. */
async function timed<T>(call: () => Promise<T>): Promise<{ result: T; from: number; to: number }> {
  const from = Date.now();
  const result = await call();
  return { result, from, to: Date.now() };
}

forEachDatabase("last_used_at: batched per instance, written by flush", (h) => {
  test("v1 and v2 verifies note the time; nothing is written before the flush; the column then holds the last VALID verify's time", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const one = await h().createKey(ws, apiId);
    const two = await h().createKey(ws, apiId);
    await h().deps.lastUsed!.flush();

    expect((await h().verify(one.key)).body.code).toBe("VALID");
    await new Promise((r) => setTimeout(r, 5));
    const last = await timed(() => h().post("/v2/keys.verifyKey", { key: one.key }, ws.rootKey));
    expect(last.result.body.data.code).toBe("VALID");
    const v1Only = await timed(() => h().verify(two.key));
    expect(v1Only.result.body.code).toBe("VALID");
    expect(await lastUsedAt(h(), one.keyId)).toBeNull(); // no write per verify

    await h().deps.lastUsed!.flush();
    const at = await lastUsedAt(h(), one.keyId);
    expect(at).toBeGreaterThanOrEqual(last.from);
    expect(at).toBeLessThanOrEqual(last.to);
    expect(await lastUsedAt(h(), two.keyId)).toBeGreaterThanOrEqual(v1Only.from);
    expect(h().deps.lastUsed!.size).toBe(0);
  });

  test("refused verifies do not count: rate limited, out of credits, disabled, wrong permissions", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const limited = await h().createKey(ws, apiId, { remaining: 1, ratelimit: { limit: 1, duration: roomyWindow() }, permissions: ["a"] });
    const first = await timed(() => h().verify(limited.key));
    expect(first.result.body.code).toBe("VALID");
    await h().deps.lastUsed!.flush();
    const before = await lastUsedAt(h(), limited.keyId);
    expect(before).toBeLessThanOrEqual(first.to);

    await new Promise((r) => setTimeout(r, 5));
    expect((await h().verify(limited.key)).body.code).toBe("RATE_LIMITED");
    expect((await h().post("/v2/keys.verifyKey", { key: limited.key, permissions: "b" }, ws.rootKey)).body.data.code).toBe("INSUFFICIENT_PERMISSIONS");
    const broke = await h().createKey(ws, apiId, { remaining: 0 });
    expect((await h().verify(broke.key)).body.code).toBe("USAGE_EXCEEDED");
    const off = await h().createKey(ws, apiId, { enabled: false });
    expect((await h().verify(off.key)).body.code).toBe("DISABLED");
    expect(h().deps.lastUsed!.size).toBe(0);
    await h().deps.lastUsed!.flush();
    expect(await lastUsedAt(h(), limited.keyId)).toBe(before);
    expect(await lastUsedAt(h(), broke.keyId)).toBeNull();
    expect(await lastUsedAt(h(), off.keyId)).toBeNull();
  });

  test("one statement for the batch; a time older than the stored one never moves the column back", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const made = await Promise.all(Array.from({ length: 30 }, () => h().createKey(ws, apiId)));
    let statements = 0;
    const db = h().db;
    const counted = new Proxy(db, {
      get: (target, name) => (name === "execute" ? (...args: Parameters<Database["execute"]>) => (statements++, target.execute(...args)) : Reflect.get(target, name)),
    });
    const recorder = new LastUsedRecorder(counted, pino({ level: "silent" }), { ...LAST_USED_DEFAULTS, flushEveryMs: null });
    made.forEach((k, i) => recorder.note(k.keyId, 1_000_000 + i));
    recorder.note(made[0]!.keyId, 999); // older than the one already noted: kept at the newer
    await recorder.flush();
    expect(statements).toBe(1);
    const rows = await h().db.select({ id: keys.id, at: keys.lastUsedAt }).from(keys).where(inArray(keys.id, made.map((k) => k.keyId)));
    expect(new Map(rows.map((r) => [r.id, r.at]))).toEqual(new Map(made.map((k, i) => [k.keyId, 1_000_000 + i])));
    // Another instance's older note arrives late: the column stays at the newer time.
    recorder.note(made[1]!.keyId, 5);
    await recorder.close();
    expect(await lastUsedAt(h(), made[1]!.keyId)).toBe(1_000_001);
  });

  test("to the minute: a key whose stored time is less than the resolution older than its note is not written again (no row version per key per second)", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const [busy, idle] = await Promise.all([h().createKey(ws, apiId), h().createKey(ws, apiId)]);
    const minute = LAST_USED_DEFAULTS.resolutionMs;
    expect(minute).toBe(60_000);
    const recorder = new LastUsedRecorder(h().db, pino({ level: "silent" }), { ...LAST_USED_DEFAULTS, flushEveryMs: null });
    const t0 = 1_700_000_000_000;
    recorder.note(busy.keyId, t0);
    recorder.note(idle.keyId, t0);
    await recorder.flush();
    // The row's version (xmin) says whether the statement wrote it, not only what it holds.
    const row = async (id: string) => {
      const [r] = rowsOf<{ v: string; at: string | number }>(await h().db.execute(sql`select xmin::text as v, last_used_at as at from keys where id = ${id}`));
      return { v: r!.v, at: Number(r!.at) };
    };
    const written = await row(busy.keyId);
    expect(written.at).toBe(t0);

    recorder.note(busy.keyId, t0 + minute - 1); // within the minute: nothing written, not even the same value again
    await recorder.flush();
    expect(await row(busy.keyId)).toEqual(written);

    recorder.note(busy.keyId, t0 + minute); // a minute on: written
    recorder.note(idle.keyId, t0 + 5 * minute);
    await recorder.flush();
    expect((await row(busy.keyId)).at).toBe(t0 + minute);
    expect((await row(idle.keyId)).at).toBe(t0 + 5 * minute);
    await recorder.close();
  });

  test("a full batch is written early; notes for more keys while it is written are dropped and logged, not held without bound", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const made = await Promise.all(Array.from({ length: 5 }, () => h().createKey(ws, apiId)));
    const warnings: Record<string, unknown>[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => warnings.push(JSON.parse(line)) });
    const recorder = new LastUsedRecorder(h().db, logger, { flushEveryMs: null, maxKeys: 2, resolutionMs: 0 });
    recorder.note(made[0]!.keyId, 10);
    recorder.note(made[1]!.keyId, 11); // full: written at once
    expect(recorder.size).toBe(0);
    recorder.note(made[2]!.keyId, 12);
    recorder.note(made[3]!.keyId, 13); // full again while the first write runs: written right after it
    recorder.note(made[4]!.keyId, 14); // no room: dropped
    expect(recorder.size).toBe(2);
    const until = Date.now() + 5000;
    while (recorder.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(recorder.size).toBe(0); // without the timer (flushEveryMs null) or a flush() call
    await recorder.close();
    const rows = await h().db.select({ id: keys.id, at: keys.lastUsedAt }).from(keys).where(inArray(keys.id, made.map((k) => k.keyId)));
    expect(new Map(rows.map((r) => [r.id, r.at]))).toEqual(new Map(made.map((k, i) => [k.keyId, i < 4 ? 10 + i : null])));
    expect(warnings).toEqual([expect.objectContaining({ dropped: 1, maxKeys: 2, msg: expect.stringContaining("not noted") })]);
  });
});

test("a failing flush (database down) neither throws nor crashes the timer; it logs how many keys' times it lost, and later notes still work", async () => {
  // Nothing listens on port 1: every statement fails to connect, on any machine.
  const sql = postgres("postgres://postgres@127.0.0.1:1/none", { max: 1, connect_timeout: 2, onnotice: () => {} });
  const down = drizzle(sql, { schema }) as unknown as Database;
  const logged: Record<string, any>[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => logged.push(JSON.parse(line)) });
  const recorder = new LastUsedRecorder(down, logger, { flushEveryMs: 20, maxKeys: 100, resolutionMs: 0 });
  try {
    recorder.note("key_a", 1);
    recorder.note("key_b", 2);
    await expect(recorder.flush()).resolves.toBeUndefined();
    expect(logged).toEqual([expect.objectContaining({ level: 50, keys: 2, err: expect.objectContaining({ message: expect.any(String) }), msg: expect.stringContaining("could not be written") })]);
    // The timer's flushes fail the same way, each logged, none unhandled (vitest fails the run on an unhandled rejection).
    recorder.note("key_c", 3);
    const until = Date.now() + 5000;
    while (logged.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(logged[1]).toMatchObject({ level: 50, keys: 1 });
    expect(JSON.stringify(logged)).not.toContain("key_a"); // the batch's ids are not in the log
    expect(recorder.size).toBe(0);
  } finally {
    await recorder.close();
    await sql.end({ timeout: 1 });
  }
});
