import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { openDatabase } from "../../src/db/client.ts";
import { executeRows } from "../../src/db/execute-rows.ts";
import { type Harness, databaseKinds, openHarness } from "../harness.ts";
import { TestVault } from "../vault-harness.ts";

let h: Harness;
let tv: TestVault;

beforeAll(async () => {
  tv = await TestVault.start();
  h = await openHarness(databaseKinds().at(-1)!, { vault: tv.client });
});
afterAll(async () => {
  await h?.close();
  await tv?.destroy();
});

test("liveness answers whatever the dependencies do", async () => {
  expect((await h.call("GET", "/v1/liveness")).body).toEqual({ status: "ok" });
});

test("ready: 200 naming each check when the database answers, migrations are current and the vault answers", async () => {
  const res = await h.call("GET", "/readyz");
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ status: "ready", checks: { database: "answers", migrations: expect.stringMatching(/^(\d+) of \1 applied$/), vault: "answers" } });
});

test("without a vault configured, the vault check passes as not configured", async () => {
  const res = await createApp({ ...h.deps, vault: null }).request("/readyz");
  expect(res.status).toBe(200);
  expect((await res.json()).checks.vault).toBe("not configured");
});

test("vault stopped: 503 envelope naming the vault; back up: ready again", async () => {
  await tv.stop();
  try {
    const res = await h.call("GET", "/readyz");
    expectNotReady(res);
    expect(res.body.error.message).toBe("Not ready: vault unreachable or refusing this API's token.");
  } finally {
    await tv.start();
  }
  expect((await h.call("GET", "/readyz")).status).toBe(200);
});

test("database gone: 503 naming the database (and the migrations it cannot read)", async () => {
  const handle = await openDatabase(h.target);
  await handle.close();
  const res = await createApp({ ...h.deps, db: handle.db, vault: null }).request("/readyz");
  expect(res.status).toBe(503);
  const body = await res.json();
  expect(body.error.code).toBe("SERVICE_UNAVAILABLE");
  expect(body.error.message).toMatch(/^Not ready: database does not answer; migrations unknown \(no database\)\.$/);
});

test("a migration missing: 503 naming the migrations", async () => {
  const [last] = await executeRows<{ id: number }>(h.db, sql`select id from drizzle.__drizzle_migrations order by id desc limit 1`);
  await h.db.execute(sql`delete from drizzle.__drizzle_migrations where id = ${last!.id}`);
  const res = await h.call("GET", "/readyz");
  expectNotReady(res);
  expect(res.body.error.message).toMatch(/^Not ready: migrations (\d+) of \d+ applied: run keyhold migrate\.$/);
});

/** The contract's envelope with 503 (the shared helper is for refusals below 500). */
function expectNotReady(res: { status: number; body: any; headers: Headers }): void {
  expect(res.status).toBe(503);
  expect(Object.keys(res.body.error).sort()).toEqual(["code", "docs", "message", "requestId"]);
  expect(res.body.error.code).toBe("SERVICE_UNAVAILABLE");
  expect(res.body.error.requestId).toBe(res.headers.get("X-Request-Id"));
}
