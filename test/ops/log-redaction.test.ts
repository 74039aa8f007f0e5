import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { base64, base64urlnopad } from "@scure/base";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { aes256gcm } from "../../src/crypto/aes-gcm.ts";
import { sha256Hex } from "../../src/crypto/hash.ts";
import { createTokenSigner } from "../../src/crypto/service-token.ts";
import { escrowKeys, keys } from "../../src/db/schema.ts";
import { reencryptKeys } from "../../src/keys/reencrypt-keys.ts";
import { createLogger } from "../../src/logger.ts";
import { dekAssociatedData } from "../../src/vault/ciphertext.ts";
import { generateMasterKey } from "../../src/vault/master-keys.ts";
import type { KeyringDocument } from "../../src/vault/storage/storage.ts";
import { createHttpVaultClient } from "../../src/vault-client/http-vault-client.ts";
import { type Harness, type Response, databaseKinds, openHarness } from "../harness.ts";
import { openBundle, targetKey } from "../jwe-target.ts";
import { TestVault } from "../vault-harness.ts";
import { Secrets } from "./secret-search.ts";

/**
 * Every log line the API and the vault write, at trace level, through the paths where a
 * secret is at hand (keys made, verified, decrypted, rotated; bad root keys; a database
 * failure; the vault down or missing its master key): none holds any secret of the run.
 */
const lines: string[] = [];
const logger = createLogger({ logLevel: "trace" }, { isTTY: false, write: (line: string) => lines.push(line) > 0 });
const secrets = new Secrets();
const requestIds: string[] = [];
const METRICS_TOKEN = "metrics-token-for-the-log-test-1";
const masterKey = generateMasterKey();
let h: Harness;
let tv: TestVault;

beforeAll(async () => {
  tv = await TestVault.start({ logger: logger.child({ service: "vault" }), masterKeys: masterKey });
  const sign = await createTokenSigner(tv.tokenKeys.privateJwk);
  const signToken = async () => {
    const token = await sign();
    secrets.add("service token", token);
    return token;
  };
  h = await openHarness(databaseKinds().at(-1)!, { vault: createHttpVaultClient({ url: tv.url, signToken, timeoutMs: 2000 }), cache: true });
  h.deps.logger = logger;
  secrets.add("master key", masterKey);
  secrets.add("service token private key", (tv.tokenKeys.privateJwk as { d?: string }).d);
  secrets.add("metrics token", METRICS_TOKEN);
});
afterAll(async () => {
  await h?.close();
  await tv?.destroy();
});

/** A request through the app; its id is expected in exactly one request line. */
async function call(method: "GET" | "POST", path: string, options: Parameters<Harness["call"]>[2] = {}): Promise<Response> {
  if (options.token) secrets.add("Authorization header", `Bearer ${options.token}`);
  const res = await h.call(method, path, options);
  requestIds.push(res.headers.get("X-Request-Id")!);
  return res;
}

function addKey(label: string, key: string): void {
  secrets.add(label, key);
  secrets.add(`${label} hash`, sha256Hex(key));
}

test("keys made, verified, decrypted and refused, a database failure, the vault down and rotated: no secret in any log line", async () => {
  const ws = await h.workspace();
  addKey("root key", ws.rootKey);
  const apiId = (await call("POST", "/v1/apis.createApi", { body: { name: "logs" }, token: ws.rootKey })).body.apiId;
  expect((await call("POST", "/v1/apis.updateApi", { body: { apiId, recovery: { enabled: true } }, token: ws.rootKey })).status).toBe(200);
  const recoverable = (await call("POST", "/v1/keys.createKey", { body: { apiId, recoverable: true, prefix: "sk" }, token: ws.rootKey })).body;
  const hashed = (await call("POST", "/v1/keys.createKey", { body: { apiId }, token: ws.rootKey })).body;
  addKey("recoverable key", recoverable.key);
  addKey("hashed-only key", hashed.key);
  const child = (await call("POST", "/v1/rootKeys.createRootKey", { body: { name: "child", permissions: ["api.*.read_key"] }, token: ws.rootKey })).body;
  addKey("created root key", child.key);

  // Verifies: valid (twice, the second from the cache), with a root key, unknown, malformed JSON around a key.
  for (let i = 0; i < 2; i++) expect((await call("POST", "/v1/keys.verifyKey", { body: { key: recoverable.key } })).body.valid).toBe(true);
  expect((await call("POST", "/v1/keys.verifyKey", { body: { key: hashed.key, apiId }, token: ws.rootKey })).body.valid).toBe(true);
  const unknown = `sk_${"Zq8Kx2Lm9Pw4Rt7Yv3Nb6Hc1Jd5Gf0Se"}`;
  addKey("unknown key", unknown);
  expect((await call("POST", "/v1/keys.verifyKey", { body: { key: unknown } })).body.code).toBe("NOT_FOUND");
  expect((await call("POST", "/v1/keys.verifyKey", { rawBody: `{"key":"${recoverable.key}"`, headers: { "Content-Type": "application/json" } })).status).toBe(400);

  // Decrypts.
  const got = await call("GET", "/v1/keys.getKey", { query: { keyId: recoverable.keyId, decrypt: "true" }, token: ws.rootKey });
  expect(got.body.plaintext).toBe(recoverable.key);
  expect((await call("GET", "/v1/apis.listKeys", { query: { apiId, decrypt: "true" }, token: ws.rootKey })).status).toBe(200);

  // Exports and escrow keys: the bundles, the escrow private key, and a caller's private key sent by mistake.
  const target = await targetKey();
  secrets.add("a caller's target private key", (target.privateJwk as { d: string }).d);
  const exported = await call("POST", "/v1/keys.exportKey", { body: { keyId: recoverable.keyId, targetPublicKey: target.publicJwk }, token: ws.rootKey });
  expect(await openBundle(exported.body.exportBundle, target.privateKey)).toBe(recoverable.key);
  secrets.add("key export bundle", exported.body.exportBundle);
  expect((await call("POST", "/v2/keys.exportKey", { body: { keyId: recoverable.keyId, targetPublicKey: target.privateJwk }, token: ws.rootKey })).status).toBe(400);
  const escrow = (await call("POST", "/v2/escrow.createKey", { body: { name: "logs" }, token: ws.rootKey })).body.data;
  const escrowExport = await call("POST", "/v1/escrow.exportKey", { body: { escrowKeyId: escrow.escrowKeyId, targetPublicKey: target.publicJwk }, token: ws.rootKey });
  secrets.add("escrow export bundle", escrowExport.body.exportBundle);
  secrets.add("escrow private key", JSON.parse(await openBundle(escrowExport.body.exportBundle, target.privateKey)).d);
  expect((await call("POST", "/v1/escrow.exportKey", { body: { escrowKeyId: escrow.escrowKeyId, targetPublicKey: target.privateJwk }, token: ws.rootKey })).status).toBe(400);

  // Bad root keys: unknown but well formed, garbage, another key kind, a revoked one.
  const forged = `kh_root_${"3ZbEwq9XkLmN2pQ7rS5tUvW8yA"}`;
  for (const token of [forged, "garbage-token-0123456789", hashed.key]) {
    addKey("bad root key", token);
    expect((await call("GET", "/v1/apis.getApi", { query: { apiId }, token })).status).toBe(401);
  }
  expect((await call("POST", "/v1/rootKeys.deleteRootKey", { body: { keyId: child.keyId }, token: ws.rootKey })).status).toBe(200);
  expect((await call("GET", "/v1/keys.getKey", { query: { keyId: hashed.keyId }, token: child.key })).status).toBe(401);
  expect((await call("GET", `/v1/${recoverable.key}`)).status).toBe(404);

  // The database fails under a query holding a key hash (verify) and a root key hash (auth): 500s.
  await h.db.execute(sql`alter table keys rename column hash to hash_gone`);
  await h.db.execute(sql`alter table root_keys rename column hash to hash_gone`);
  try {
    h.deps.verifyCache?.clear();
    expect((await call("POST", "/v1/keys.verifyKey", { body: { key: recoverable.key } })).status).toBe(500);
    expect((await call("GET", "/v1/keys.getKey", { query: { keyId: recoverable.keyId }, token: ws.rootKey })).status).toBe(500);
  } finally {
    await h.db.execute(sql`alter table keys rename column hash_gone to hash`);
    await h.db.execute(sql`alter table root_keys rename column hash_gone to hash`);
  }

  // The vault down: recoverable createKey and decrypt=true answer 503; readiness names it.
  await tv.stop();
  try {
    expect((await call("POST", "/v1/keys.createKey", { body: { apiId, recoverable: true }, token: ws.rootKey })).status).toBe(503);
    expect((await call("GET", "/v1/keys.getKey", { query: { keyId: recoverable.keyId, decrypt: "true" }, token: ws.rootKey })).status).toBe(503);
    expect((await call("GET", "/readyz")).status).toBe(503);
  } finally {
    await tv.start();
  }

  // Rotation: a new master key first, every DEK rewrapped, a new DEK, every ciphertext moved.
  const newMaster = generateMasterKey();
  secrets.add("new master key", newMaster);
  await tv.stop();
  await tv.start({ masterKeys: `${newMaster},${masterKey}` });
  await tv.vault.keyrings.rewrapAll();
  await tv.vault.keyrings.createDek(ws.workspaceId);
  await reencryptKeys(h.db, h.deps.vault!, { workspaceId: ws.workspaceId });
  expect((await call("GET", "/v1/keys.getKey", { query: { keyId: recoverable.keyId, decrypt: "true" }, token: ws.rootKey })).body.plaintext).toBe(recoverable.key);

  // The vault without the master key its DEKs need: it refuses, naming only the key id.
  const stranger = generateMasterKey();
  secrets.add("unrelated master key", stranger);
  await tv.stop();
  await tv.start({ masterKeys: stranger });
  expect((await call("GET", "/v1/keys.getKey", { query: { keyId: recoverable.keyId, decrypt: "true" }, token: ws.rootKey })).status).toBeGreaterThanOrEqual(500);
  await tv.stop();
  await tv.start({ masterKeys: `${newMaster},${masterKey}` });
  // A tampered ciphertext sent to the vault directly.
  const [row] = await h.db.select({ encrypted: keys.encrypted }).from(keys).where(sql`${keys.id} = ${recoverable.keyId}`);
  const tampered = `${row!.encrypted!.slice(0, -4)}AAAA`;
  await expect(h.deps.vault!.decrypt({ keyring: ws.workspaceId, encrypted: tampered, context: recoverable.keyId })).rejects.toThrow();

  // Metrics scrapes, with and without the token.
  const metricsApp = createApp({ ...h.deps, metricsToken: METRICS_TOKEN });
  for (const [token, status] of [[METRICS_TOKEN, 200], ["wrong-metrics-token-000", 401]] as const) {
    const res = await metricsApp.request("/metrics", { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(status);
    requestIds.push(res.headers.get("X-Request-Id")!);
  }
  expect((await tv.vault.app.request("/metrics")).status).toBe(200);

  // Everything that could leak, from the stores themselves.
  // A ciphertext's sealed part (its `v1.<dekId>.` prefix names a DEK id, which is logged on purpose).
  for (const r of await h.db.select({ encrypted: keys.encrypted }).from(keys)) secrets.add("ciphertext", r.encrypted?.split(".").at(-1));
  for (const r of await h.db.select({ encrypted: escrowKeys.encrypted }).from(escrowKeys)) secrets.add("escrow ciphertext", r.encrypted.split(".").at(-1));
  for (const [label, bytes] of vaultDeks([newMaster, masterKey])) secrets.addBytes(label, bytes);

  const log = lines.join("");
  secrets.expectNoneIn(log, "API and vault logs");
  expect(secrets.size).toBeGreaterThan(30);

  // The log is what it says: JSON lines, one request line per API request, errors reduced.
  const records = lines.map((line) => JSON.parse(line) as Record<string, any>);
  const apiRequests = records.filter((r) => r.msg === "request" && r.service !== "vault");
  for (const id of requestIds) expect(apiRequests.filter((r) => r.requestId === id), id).toHaveLength(1);
  expect(apiRequests).toHaveLength(requestIds.length);
  for (const r of apiRequests) expect(Object.keys(r)).toEqual(expect.arrayContaining(["requestId", "method", "route", "status", "latencyMs"]));
  expect(apiRequests.filter((r) => r.status === 401).length).toBe(5); // four bad root keys, one bad metrics token
  expect(apiRequests.find((r) => r.route === "/v1/keys.createKey")?.workspaceId).toBe(ws.workspaceId);
  const failures = records.filter((r) => r.msg === "unhandled error");
  expect(failures.length).toBeGreaterThanOrEqual(2);
  for (const f of failures) expect(f.err).toMatchObject({ type: "DrizzleQueryError", message: expect.stringMatching(/^Failed query: /) });
  expect(records.some((r) => r.event === "key.decrypt")).toBe(true);
  expect(records.filter((r) => r.event === "key.export" || r.event === "escrow_key.export").map((r) => r.event)).toEqual(["key.export", "escrow_key.export"]);
  expect(records.some((r) => r.service === "vault" && r.msg === "request" && r.route === "/vault.v1/decrypt")).toBe(true);
  expect(records.some((r) => r.service === "vault" && r.vaultError === "MASTER_KEY_MISSING")).toBe(true);
  expect(records.some((r) => r.service === "vault" && r.vaultError === "DECRYPT_FAILED")).toBe(true);
});

/** Every DEK in the vault's storage, unwrapped with the master keys (and the wrapped form). */
function* vaultDeks(masterKeys: string[]): Generator<[string, Uint8Array]> {
  const dir = join(tv.options.vaultDir, "keyrings");
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    const doc = JSON.parse(readFileSync(join(dir, name), "utf8")) as KeyringDocument;
    for (const dek of doc.deks) {
      const wrapped = base64urlnopad.decode(dek.wrapped);
      yield ["wrapped DEK", wrapped];
      for (const mk of masterKeys) {
        try {
          yield ["DEK", aes256gcm(base64.decode(mk)).decrypt(wrapped, dekAssociatedData(doc.keyring, dek.id))];
        } catch {} // wrapped by the other master key
      }
    }
  }
}

test("request lines keep every route's path readable; only key-shaped parts of a path are redacted, the query is never logged", async () => {
  const at = lines.length;
  const ws = await h.workspace();
  const apiId = (await h.call("POST", "/v1/apis.createApi", { body: { name: "paths" }, token: ws.rootKey })).body.apiId;
  const { key } = (await h.call("POST", "/v1/keys.createKey", { body: { apiId, prefix: "sk_live" }, token: ws.rootKey })).body;
  const plain = (await h.call("POST", "/v1/keys.createKey", { body: { apiId }, token: ws.rootKey })).body.key;
  const documented = Object.keys((await h.call("GET", "/openapi.json")).body.paths as Record<string, unknown>);
  expect(documented).toContain("/v1/keys.verifyKey");
  const loggedPath = async (path: string): Promise<string> => {
    const id = (await h.call("GET", path)).headers.get("X-Request-Id");
    const record = lines.slice(at).map((line) => JSON.parse(line) as Record<string, any>).find((r) => r.msg === "request" && r.requestId === id);
    return record!.path;
  };
  for (const path of [...documented, "/docs", "/v1/rootKeys.createRootKey", "/v1/keys.updateRemaining"]) expect(await loggedPath(path)).toBe(path);
  expect(await loggedPath(`/v1/keys.getKey/${key}`)).toBe("/v1/keys.getKey/[redacted]");
  expect(await loggedPath(`/v1/${plain}.json`)).toBe("/v1/[redacted].json");
  expect(await loggedPath(`/v1/keys.verifyKey/${sha256Hex(key)}`)).toBe("/v1/keys.verifyKey/[redacted]");
  expect(await loggedPath(`/v1/keys.verifyKey?key=${key}&k2=${plain}`)).toBe("/v1/keys.verifyKey");
  const log = lines.slice(at).join("");
  for (const secret of [key, plain, sha256Hex(key)]) expect(log).not.toContain(secret);
});
