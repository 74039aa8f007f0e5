import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { MAX_PAGE_BYTES } from "../../src/paging.ts";
import { insertRootKey } from "../../src/auth/root-keys.ts";
import { MAX_META_BYTES } from "../../src/keys/storable.ts";
import { killAll, post, serve, tempDataDir } from "../cli/processes.ts";
import { type Workspace, createTestDatabase, forEachDatabase } from "../harness.ts";

/**
 * One tenant must not be able to take the process down: before these bounds, 200 keys with
 * a ~1 MB meta, verified once each, took a server from 153 to 571 MB of RSS, and one
 * listKeys?limit=100 over them answered a 99.9 MB body.
 */

/** A meta whose JSON is exactly `bytes` long (`seed` keeps the keys apart). */
const metaOfBytes = (bytes: number, seed = 0) => {
  const head = `${seed}:`;
  return { a: head + "x".repeat(bytes - '{"a":""}'.length - head.length) };
};
/** A listKeys body: the keys within MAX_PAGE_BYTES plus the envelope around them. */
const PAGE_BODY_BOUND = MAX_PAGE_BYTES + 1024;
const CACHE_BYTES = 2 * 2 ** 20;

forEachDatabase(
  "memory bounds",
  (h) => {
    let ws: Workspace;
    beforeAll(async () => {
      ws = await h().workspace();
    });

    /** Every page of a list route with limit=100: the ids in order and each body's size. */
    async function listAll(path: string, query: Record<string, string>, items: string, token = ws.rootKey): Promise<{ ids: string[]; bodies: number[] }> {
      const ids: string[] = [];
      const bodies: number[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const res = await h().app.request(`${path}?${new URLSearchParams({ ...query, limit: "100", ...(cursor && { cursor }) })}`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        const text = await res.text();
        expect(res.status, text.slice(0, 200)).toBe(200);
        bodies.push(Buffer.byteLength(text));
        const body = JSON.parse(text);
        ids.push(...body[items].map((k: { id: string }) => k.id));
        cursor = body.cursor;
        if (!cursor) break;
      }
      return { ids, bodies };
    }
    const listKeys = (apiId: string) => listAll("/v1/apis.listKeys", { apiId }, "keys");

    /** 40 keys with the largest meta each: 2.6 MB, more than a page and more than the cache's 2 MiB. */
    async function bigMetaKeys(name: string) {
      const apiId = await h().createApi(ws, name);
      const created: { keyId: string; key: string }[] = [];
      for (let i = 0; i < 40; i++) created.push(await h().createKey(ws, apiId, { meta: metaOfBytes(MAX_META_BYTES, i) }));
      return { apiId, created };
    }

    test("keys with the largest meta: each listKeys page stays within its byte bound, the cursor reaches every key", async () => {
      const { apiId, created } = await bigMetaKeys("big-meta-list");

      const { ids, bodies } = await listKeys(apiId);
      console.log(`[keyhold] listKeys over 40 keys of ${MAX_META_BYTES} B meta: pages of ${bodies.join(", ")} bytes`);
      for (const bytes of bodies) expect(bytes).toBeLessThanOrEqual(PAGE_BODY_BOUND);
      expect([...ids].sort()).toEqual(created.map((c) => c.keyId).sort()); // each once: nothing dropped or repeated
    });

    test("keys with the largest meta, each verified once: the cache stays within its bytes", async () => {
      const { created } = await bigMetaKeys("big-meta-cache");
      const cache = h().deps.verifyCache!;
      cache.clear();
      for (const [i, { key }] of created.entries()) {
        const res = await h().verify(key);
        expect(res.body).toMatchObject({ valid: true, meta: metaOfBytes(MAX_META_BYTES, i) });
        expect(cache.bytes).toBeLessThanOrEqual(CACHE_BYTES);
      }
      // 40 × 64 KiB does not fit in 2 MiB: entries were evicted by size, not by count.
      expect(cache.size).toBeGreaterThan(0);
      expect(cache.size).toBeLessThan(created.length);
    });

    test("keys with many long permission names: pages are cut by the names' bytes too", async () => {
      const apiId = await h().createApi(ws, "many-names");
      const created: string[] = [];
      for (let k = 0; k < 3; k++) {
        const permissions = Array.from({ length: 1000 }, (_, i) => `${k}.${i}.`.padEnd(512, "p"));
        created.push((await h().createKey(ws, apiId, { permissions })).keyId);
      }
      const { ids, bodies } = await listKeys(apiId);
      console.log(`[keyhold] listKeys over 3 keys of 1000 × 512-char permissions: pages of ${bodies.join(", ")} bytes`);
      expect(bodies.length).toBeGreaterThan(1);
      for (const bytes of bodies) expect(bytes).toBeLessThanOrEqual(PAGE_BODY_BOUND);
      expect([...ids].sort()).toEqual(created.sort());
    });

    test("root keys with many long permission names: listRootKeys pages are cut by bytes too, and page on to every key", async () => {
      const own = await h().workspace();
      const created = [own.rootKeyId];
      for (let k = 0; k < 3; k++) {
        const permissions = Array.from({ length: 1000 }, (_, i) => `api.${k}x${i}.read_key`.padEnd(512, "p"));
        created.push((await insertRootKey(h().db, { workspaceId: own.workspaceId, permissions })).keyId);
      }
      const { ids, bodies } = await listAll("/v1/rootKeys.listRootKeys", {}, "rootKeys", own.rootKey);
      console.log(`[keyhold] listRootKeys over 3 root keys of 1000 × 512-char permissions: pages of ${bodies.join(", ")} bytes`);
      expect(bodies.length).toBeGreaterThan(1);
      for (const bytes of bodies) expect(bytes).toBeLessThanOrEqual(PAGE_BODY_BOUND);
      expect([...ids].sort()).toEqual(created.sort());
    });
  },
  { cache: { maxBytes: CACHE_BYTES } },
);

let dropDatabase = async () => {};
afterAll(async () => {
  await killAll();
  await dropDatabase();
});

/** Resident set size of a process, from Linux's /proc (printed: it depends on when V8 last collected). */
function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]!;
  return Number(kb) * 1024;
}

const HEAP_PROBE = fileURLToPath(new URL("./heap-probe.cjs", import.meta.url));

/**
 * JS heap the server keeps after a full collection (heap-probe.cjs answers SIGUSR2). What the
 * attack may keep: 200 × 64 KiB of meta in the verify cache (13 MB) and its entries' records;
 * the 1 MB bodies it sent and the ~1 MB pages it read are garbage once answered. Before the
 * bounds, the same 200 verifies alone took RSS from 153 to 571 MB (1 MB metas, all cached).
 */
const RETAINED_BOUND = 40 * 2 ** 20;
const KEYS = 200;

test.skipIf(process.platform !== "linux")(
  "a real server under the attack: 1 MB metas refused, the largest allowed metas verified and listed, RSS growth bounded, every request answered",
  { timeout: 240_000 },
  async () => {
    const env: Record<string, string> = { KEYHOLD_DATA_DIR: tempDataDir(), LOG_LEVEL: "warn", NODE_OPTIONS: `--expose-gc --require ${HEAP_PROBE}` };
    if (inject("postgresUrl")) {
      const db = await createTestDatabase(inject("postgresUrl"));
      env.DATABASE_URL = db.url;
      dropDatabase = db.dropDatabase;
    }
    const server = await serve(env);
    const pid = server.child.pid!;
    const rootKey = server.stdout().match(/kh_root_\w+/)![0];
    const { apiId } = (await post(server.url, "/v1/apis.createApi", { name: "memory" }, rootKey)).body;
    const auth = { Authorization: `Bearer ${rootKey}` };

    /** Creates `n` keys with `meta(i)`, verifies each once, lists them all; returns the largest page body. */
    async function round(n: number, meta: (i: number) => Record<string, unknown>, owner: string): Promise<number> {
      const keys: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await post(server.url, "/v1/keys.createKey", { apiId, ownerId: owner, meta: meta(i) }, rootKey);
        expect(res.status).toBe(200);
        keys.push(res.body.key);
      }
      for (const key of keys) expect((await post(server.url, "/v1/keys.verifyKey", { key })).body.valid).toBe(true);
      let largest = 0;
      let listed = 0;
      let cursor: string | undefined;
      do {
        const query = new URLSearchParams({ apiId, ownerId: owner, limit: "100", ...(cursor && { cursor }) });
        const res = await fetch(`${server.url}/v1/apis.listKeys?${query}`, { headers: auth });
        const text = await res.text();
        expect(res.status).toBe(200);
        largest = Math.max(largest, Buffer.byteLength(text));
        const body = JSON.parse(text);
        listed += body.keys.length;
        cursor = body.cursor;
      } while (cursor);
      expect(listed).toBe(n);
      return largest;
    }
    /** The heap retained after a full collection, as the probe in the server prints it. */
    async function retainedHeap(): Promise<number> {
      const seen = server.stdout().split("[heap-probe]").length;
      process.kill(pid, "SIGUSR2");
      for (let waited = 0; waited < 10_000; waited += 20) {
        const reports = server.stdout().split("[heap-probe] ");
        if (reports.length > seen) return JSON.parse(reports.at(-1)!.split("\n")[0]!).heapUsed;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`the heap probe did not answer: ${server.stdout().slice(-500)}`);
    }
    /** `n` bodies of ~1 MB, each refused with a 400 that names `field`: nothing is stored. */
    async function refused(n: number, body: (i: number) => Record<string, unknown>, field: string): Promise<void> {
      for (let i = 0; i < n; i++) {
        const res = await post(server.url, "/v1/keys.createKey", { apiId, ...body(i) }, rootKey);
        expect(res.status).toBe(400);
        expect(res.body.error.message).toContain(field);
      }
    }
    const megabyte = (i: number) => metaOfBytes(1_000_000, i).a;

    await round(20, () => ({ plan: "warm-up" }), "warm-up"); // JIT, pools, first pages
    const start = { rss: rss(pid), heap: await retainedHeap() };
    // The control does the same traffic with nothing large kept: 1 MB bodies refused for a
    // reason that was always refused (a 1 MB name), and keys with a small meta.
    await refused(KEYS, (i) => ({ name: megabyte(i) }), "name");
    const controlPage = await round(KEYS, (i) => ({ plan: "pro", i }), "control");
    const afterControl = { rss: rss(pid), heap: await retainedHeap() };

    // The attack as reported: ~1 MB metas (now refused), then the most it can do now: the largest allowed meta on every key.
    await refused(KEYS, (i) => ({ meta: { a: megabyte(i) } }), "meta");
    const attackPage = await round(KEYS, (i) => metaOfBytes(MAX_META_BYTES, i), "attack");
    const afterAttack = { rss: rss(pid), heap: await retainedHeap() };

    const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
    const at = (m: { rss: number; heap: number }) => `heap ${mb(m.heap)} / RSS ${mb(m.rss)}`;
    console.log(
      `[keyhold] retained heap and RSS: start ${at(start)} → control (${KEYS} × 1 MB name refused, ${KEYS} small keys) ${at(afterControl)} → attack ` +
        `(${KEYS} × 1 MB meta refused, ${KEYS} keys × ${MAX_META_BYTES} B meta) ${at(afterAttack)}: the attack kept +${mb(afterAttack.heap - afterControl.heap)} of heap; ` +
        `largest listKeys body: control ${controlPage} B, attack ${attackPage} B`,
    );
    expect(attackPage).toBeLessThanOrEqual(PAGE_BODY_BOUND);
    // The control ran the same parsing first, so what the attack adds on top is what it made the process keep.
    expect(afterAttack.heap - afterControl.heap).toBeLessThan(RETAINED_BOUND);
    expect((await fetch(`${server.url}/v1/liveness`)).status).toBe(200);
  },
);
