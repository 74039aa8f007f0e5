import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { executeRows } from "../../src/db/execute-rows.ts";
import { type Harness, databaseKinds, openHarness } from "../harness.ts";

/**
 * Every statement a verify with limits runs is a prepared statement: one round trip each,
 * parsed once per connection. Unprepared, drizzle rebuilt the SQL on every call and
 * postgres.js described it before executing it (two round trips): verify with a rate
 * limit ran at 0.23–0.45× of the same upsert sent raw (npm run bench).
 * PostgreSQL only, on a pool of one connection: pg_prepared_statements shows the
 * statements of the connection that asks, and PGlite has no such protocol state.
 */
const statements = {
  upsert: 'insert into "ratelimit_windows"',
  readWindow: 'select "window_start", "count" from "ratelimit_windows"',
  spend: 'update "keys" set "remaining"',
};

describe.skipIf(!databaseKinds().includes("postgres"))("verify's limit statements are prepared [postgres]", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness("postgres", { maxConnections: 1 });
  });
  afterAll(() => h?.close());

  const prepared = async (start: string) => {
    const rows = await executeRows<{ statement: string }>(h.deps.db, sql`select statement from pg_prepared_statements`);
    return rows.filter((r) => r.statement.trimStart().startsWith(start)).length;
  };

  test.each([
    { name: "a rate limit", settings: { ratelimit: { limit: 100, duration: 60_000 } }, expected: [statements.upsert] },
    { name: "credits", settings: { remaining: 100 }, expected: [statements.spend] },
    { name: "both (one transaction)", settings: { remaining: 100, ratelimit: { limit: 100, duration: 60_000 } }, expected: [statements.upsert, statements.spend] },
  ])("a verify with $name runs its statements prepared, once each however often it is verified", async ({ settings, expected }) => {
    const { key } = await h.keyFixture(settings);
    for (let i = 0; i < 3; i++) expect((await h.verify(key)).body.code).toBe("VALID");
    for (const start of expected) expect(await prepared(start), start).toBe(1);
  });

  test("a refused rate limit reads its window with a prepared statement too", async () => {
    const { key } = await h.keyFixture({ ratelimit: { limit: 1, duration: 3_600_000 } });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await h.verify(key)).body.code);
    expect(codes.slice(1)).toEqual(["RATE_LIMITED", "RATE_LIMITED"]);
    expect(await prepared(statements.readWindow)).toBe(1);
  });
});
