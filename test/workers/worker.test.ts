import { randomBytes } from "node:crypto";
import { sha256Hex } from "../../src/crypto/hash.ts";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, test } from "vitest";
import { openDatabase } from "../../src/db/client.ts";
import { portalSessions } from "../../src/db/schema.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { bootstrapWorkspace } from "../../src/workspaces/bootstrap.ts";
import { freePort, killAll, post, root, serve } from "../cli/processes.ts";
import { createTestDatabase } from "../harness.ts";

/** wrangler offline: no update check, no telemetry, logs in a temp dir. */
const work = mkdtempSync(join(tmpdir(), "keyhold-wrangler-"));
const wrangler = join(root, "node_modules/wrangler/bin/wrangler.js");
const wranglerEnv = { WRANGLER_LOG_PATH: join(work, "logs"), WRANGLER_SEND_METRICS: "false", CI: "1", NO_UPDATE_NOTIFIER: "1" };
let dropDatabase = async () => {};

afterAll(async () => {
  await killAll();
  await dropDatabase();
  rmSync(work, { recursive: true, force: true });
});

test("wrangler deploy --dry-run bundles the Worker offline, without PGlite or Node-only modules of ours", () => {
  const outdir = join(work, "out");
  const run = spawnSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir], {
    cwd: root,
    env: { ...process.env, ...wranglerEnv },
    encoding: "utf8",
    timeout: 120_000,
  });
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).toContain("env.HYPERDRIVE");
  const bundle = join(outdir, "worker.js");
  expect(existsSync(bundle)).toBe(true);
  const code = readFileSync(bundle, "utf8");
  expect(code).toContain("// src/api/app.ts");
  expect(code).not.toMatch(/pglite/i);
  // Only postgres.js's own Workers build (cf/) imports node: modules, via nodejs_compat, and
  // src/crypto/hash.ts its native SHA-256 (workerd implements node:crypto's createHash; the
  // wrangler dev test below verifies keys with it).
  const nodeImports = new Set([...code.matchAll(/from "(node:[a-z_/]+)"/g)].map((m) => m[1]));
  expect([...nodeImports].sort()).toEqual(["node:buffer", "node:crypto", "node:events", "node:stream"]);
  // Scalar's script travels as a text module beside the Worker.
  expect(code).toMatch(/import \w+ from "\.\/[0-9a-f]+-standalone\.js"/);
  // So do the hosted portal page's files.
  for (const name of ["portal\\.js", "portal\\.css", "playground\\.js"]) expect(code).toMatch(new RegExp(`import \\w+ from "\\./[0-9a-f]+-${name}"`));
}, 150_000);

const postgresUrl = inject("postgresUrl");
if (!postgresUrl) console.warn("[keyhold] wrangler dev smoke test skipped: needs a PostgreSQL (TEST_DATABASE_URL)");

describe.skipIf(!postgresUrl)("wrangler dev (local workerd) against PostgreSQL", () => {
  test("serves the API from the Worker: a key made there verifies, /readyz and /docs answer, createSession sweeps expired portal sessions", async () => {
    const db = await createTestDatabase(postgresUrl);
    dropDatabase = db.dropDatabase;
    const target = { kind: "postgres" as const, url: db.url };
    const handle = await openDatabase(target);
    let boot: Awaited<ReturnType<typeof bootstrapWorkspace>>;
    try {
      await runMigrations(handle, target); // migrations run from Node, never from the Worker
      boot = await bootstrapWorkspace(handle.db);
    } finally {
      await handle.close();
    }
    const { rootKey } = boot;
    // Miniflare insists on a password in a Hyperdrive URL; a trust-auth server ignores it.
    const hyperdrive = new URL(db.url);
    if (!hyperdrive.password) hyperdrive.password = "unused";
    const port = String(await freePort());
    const worker = await serve(
      { ...wranglerEnv, PORT: port, CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: hyperdrive.toString() },
      [process.execPath, wrangler, "dev", "--ip", "127.0.0.1", "--port", port, "--inspector-port", "0", "--show-interactive-dev-session=false", "--log-level", "warn"],
      90_000,
    );

    const api = await post(worker.url, "/v1/apis.createApi", { name: "on-workers" }, rootKey);
    expect(api.status).toBe(200);
    const made = await post(worker.url, "/v1/keys.createKey", { apiId: api.body.apiId, permissions: ["dns.read"] }, rootKey);
    expect(made.status).toBe(200);
    const verdict = await post(worker.url, "/v1/keys.verifyKey", { key: made.body.key, authorization: { permissions: "dns.read" } });
    expect(verdict.body).toMatchObject({ valid: true, code: "VALID", keyId: made.body.keyId, permissions: ["dns.read"], roles: [] });
    expect((await post(worker.url, "/v1/keys.verifyKey", { key: "wrong" })).body).toMatchObject({ valid: false, code: "NOT_FOUND" });
    // An imported key (no Keyhold checksum) verifies on the Worker too, and so through v2.
    const imported = `legacy_${randomBytes(12).toString("hex")}`;
    const migrated = await post(worker.url, "/v2/keys.migrateKeys", { migrationId: "sha256_hex", apiId: api.body.apiId, keys: [{ hash: sha256Hex(imported), name: "old" }] }, rootKey);
    expect(migrated.body.data.failed).toEqual([]);
    expect((await post(worker.url, "/v1/keys.verifyKey", { key: imported })).body).toMatchObject({ valid: true, name: "old" });
    expect((await post(worker.url, "/v2/keys.verifyKey", { key: imported }, rootKey)).body.data).toMatchObject({ valid: true, code: "VALID" });
    // Analytics on the Worker: each verify's count is written by one upsert after its response (waitUntil).
    const importedId: string = migrated.body.data.migrated[0].keyId;
    const expected = [
      { keyId: made.body.keyId, valid: 1, total: 1 },
      { keyId: importedId, valid: 2, total: 2 },
    ].sort((a, b) => (a.keyId < b.keyId ? -1 : 1));
    let counted: { keyId: string; valid: number; total: number }[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${worker.url}/v1/analytics.getVerifications?apiId=${api.body.apiId}&groupBy=key`, { headers: { Authorization: `Bearer ${rootKey}` } });
      counted = ((await res.json()) as typeof counted).map(({ keyId, valid, total }) => ({ keyId, valid, total }));
      if (counted.reduce((n, r) => n + r.total, 0) >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(counted).toEqual(expected);
    // No vault configured for the Worker: recoverable keys fail closed.
    expect((await post(worker.url, "/v1/apis.updateApi", { apiId: api.body.apiId, recovery: { enabled: true } }, rootKey)).status).toBe(200);
    const recoverable = await post(worker.url, "/v1/keys.createKey", { apiId: api.body.apiId, recoverable: true }, rootKey);
    expect(recoverable.body.error?.code).toBe("SERVICE_UNAVAILABLE");

    const ready = await fetch(`${worker.url}/readyz`);
    expect(await ready.json()).toMatchObject({ status: "ready", checks: { migrations: expect.stringMatching(/^(\d+) of \1 applied$/) } });
    const docs = await fetch(`${worker.url}/docs`);
    expect(docs.status).toBe(200);
    const src = (await docs.text()).match(/<script src="([^"]+)"/)![1]!;
    expect((await fetch(`${worker.url}${src}`)).headers.get("Cache-Control")).toContain("immutable");
    for (const name of ["portal.js", "portal.css", "playground.js"]) expect((await fetch(`${worker.url}/portal/${name}`)).status, name).toBe(200);

    // No timer on Workers: a portal.createSession sweeps expired portal codes and sessions after its response.
    const identity = await post(worker.url, "/v2/identities.createIdentity", { externalId: "alice" }, rootKey);
    const portal = await post(worker.url, "/v2/portal.createPortal", { name: "on-workers", apiIds: [api.body.apiId] }, rootKey);
    expect([identity.status, portal.status]).toEqual([200, 200]);
    const check = await openDatabase(target);
    try {
      const stale = { workspaceId: boot.workspaceId, portalId: portal.body.data.portalId, identityId: identity.body.data.identityId, externalId: "alice", scopes: ["keys:read"], rootKeyId: boot.rootKeyId, userId: boot.userId, createdAt: 1 };
      await check.db.insert(portalSessions).values([
        { ...stale, id: "pss_expiredcode", codeHash: "a".repeat(64), codeExpiresAt: Date.now() - 1 },
        { ...stale, id: "pss_endedsession", codeExpiresAt: 1, tokenHash: "b".repeat(64), expiresAt: Date.now() - 1 },
      ]);
      const minted = await post(worker.url, "/v2/portal.createSession", { portal: portal.body.data.portalId, externalId: "alice", scopes: ["keys:read"] }, rootKey);
      expect(minted.status).toBe(200);
      expect(minted.body.data.url).toBe(`${worker.url}/portal?code=${encodeURIComponent(minted.body.data.code)}`);
      let left: string[] = [];
      for (let i = 0; i < 50; i++) {
        left = (await check.db.select({ id: portalSessions.id }).from(portalSessions)).map((r) => r.id);
        if (left.length === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(left).toEqual([minted.body.data.id]);
    } finally {
      await check.close();
    }
  }, 150_000);
});
