import { beforeAll, expect, test } from "vitest";
import { sha256Hex } from "../../src/crypto/hash.ts";
import { keyStart, parseKey } from "../../src/keys/key-format.ts";
import { type Response, type Workspace, forEachDatabase } from "../harness.ts";

/**
 * Keys are shown once, at creation. After that neither the database nor any response
 * holds a key's plaintext, its random body, a long run of it, a simple encoding of it, or
 * (in responses) its hash.
 */

const PREFIXES = [undefined, "sk", "sk_live", "a", "x1_y2_z3", "abcdefghijklmnop"];
const BYTE_LENGTHS = [16, 17, 31, 64, 128, 255];
/** A run this long of a key's secret part must never appear: `start` shows only 4 characters. */
const WINDOW = 10;

interface Secret {
  kind: "key" | "root key";
  plaintext: string;
  keyId: string;
}

/** The strings that would betray `secret` if found. */
function betrayals(secret: Secret, withHash: boolean): string[] {
  const { plaintext } = secret;
  const cut = plaintext.lastIndexOf("_");
  const secretPart = plaintext.slice(cut + 1); // body and checksum
  const body = parseKey(plaintext)!.body;
  const out = [
    plaintext,
    secretPart,
    body,
    Buffer.from(plaintext).toString("hex"),
    Buffer.from(plaintext).toString("base64"),
    Buffer.from(plaintext).toString("base64url"),
    encodeURIComponent(plaintext),
  ];
  // Every run of WINDOW characters of the secret part: catches truncated or partial copies.
  for (let i = 0; i + WINDOW <= secretPart.length; i++) out.push(secretPart.slice(i, i + WINDOW));
  if (withHash) out.push(sha256Hex(plaintext), sha256Hex(plaintext).toUpperCase());
  return out;
}

function findLeak(text: string, secrets: Secret[], withHash: boolean): string | undefined {
  for (const secret of secrets) {
    for (const b of betrayals(secret, withHash)) {
      if (text.includes(b)) return `${secret.kind} ${secret.keyId}: found ${JSON.stringify(b.slice(0, 40))}`;
    }
  }
  return undefined;
}

forEachDatabase("no plaintext stored or returned", (h) => {
  let ws: Workspace;
  let apiId: string;
  const secrets: Secret[] = [];
  /** Every response seen after creation, as text (status, headers and body). */
  const seen: string[] = [];

  async function record(res: Promise<Response>): Promise<Response> {
    const r = await res;
    seen.push(`${r.status} ${JSON.stringify([...r.headers.entries()])} ${typeof r.body === "string" ? r.body : JSON.stringify(r.body)}`);
    return r;
  }

  beforeAll(async () => {
    ws = await h().workspace();
    secrets.push({ kind: "root key", plaintext: ws.rootKey, keyId: ws.rootKeyId });
    apiId = await h().createApi(ws, "plain");
    for (const prefix of PREFIXES) {
      for (const byteLength of BYTE_LENGTHS) {
        const res = await h().post(
          "/v1/keys.createKey",
          { apiId, prefix, byteLength, name: "k", remaining: 100, ratelimit: { limit: 100, duration: 60_000 }, permissions: ["read"] },
          ws.rootKey,
        );
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        // The creation answer holds the key and its id, nothing else (no hash).
        expect(Object.keys(res.body).sort()).toEqual(["key", "keyId"]);
        secrets.push({ kind: "key", plaintext: res.body.key, keyId: res.body.keyId });
      }
    }
    for (let i = 0; i < 5; i++) {
      const res = await h().post("/v1/rootKeys.createRootKey", { name: `rk${i}`, permissions: ["api.*.read_key", "api.*.verify_key"] }, ws.rootKey);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(["key", "keyId"]);
      secrets.push({ kind: "root key", plaintext: res.body.key, keyId: res.body.keyId });
    }
    const direct = await h().rootKey(ws, ["*"]);
    secrets.push({ kind: "root key", plaintext: direct.key, keyId: direct.keyId });
  });

  test("after every kind of use, no table holds a plaintext, its body, a run of it or an encoding of it", async () => {
    const keys = secrets.filter((s) => s.kind === "key");
    // Use the keys, so that every write path has run: verify (credits, rate limits), update, delete.
    for (const [i, s] of keys.entries()) {
      await record(h().verify(s.plaintext, { apiId, ratelimits: [{ name: "extra", limit: 10, duration: 60_000 }] }));
      if (i % 3 === 0) await record(h().post("/v1/keys.updateKey", { keyId: s.keyId, name: "renamed", meta: { note: "x" } }, ws.rootKey));
      if (i % 5 === 0) await record(h().post("/v1/keys.updateRemaining", { keyId: s.keyId, op: "decrement", value: 1 }, ws.rootKey));
    }
    await record(h().post("/v1/keys.deleteKey", { keyId: keys[0]!.keyId }, ws.rootKey));
    await record(h().post("/v1/keys.deleteKey", { keyId: keys[1]!.keyId, permanent: true }, ws.rootKey));
    await record(h().post("/v1/rootKeys.deleteRootKey", { keyId: secrets.find((s) => s.kind === "root key" && s !== secrets[0])!.keyId }, ws.rootKey));

    const dump = JSON.stringify(await h().dump());
    const leak = findLeak(dump, secrets, false);
    expect(leak, leak).toBeUndefined();
    // The control: what is stored is the hash and the short start, so the search looks in the right place.
    for (const s of secrets) {
      if (s === keys[1]) continue; // permanently deleted
      expect(dump, s.keyId).toContain(sha256Hex(s.plaintext));
      expect(dump, s.keyId).toContain(JSON.stringify(keyStart(s.plaintext)));
    }
  });

  test("no response but the creating one ever holds a plaintext or its hash", async () => {
    const keys = secrets.filter((s) => s.kind === "key");
    const verifier = secrets.find((s) => s.kind === "root key" && s !== secrets[0] && s.plaintext !== ws.rootKey)!;
    for (const [i, s] of keys.slice(2).entries()) {
      await record(h().get("/v1/keys.getKey", { keyId: s.keyId }, ws.rootKey));
      await record(h().get("/v1/keys.getKey", { keyId: s.keyId, decrypt: "true" }, ws.rootKey));
      await record(h().verify(s.plaintext));
      await record(h().post("/v1/keys.verifyKey", { key: s.plaintext }, verifier.plaintext));
      if (i % 3 !== 0) continue; // the refusals below for every third key (every prefix still occurs)
      await record(h().verify(s.plaintext, { apiId: "api_other" }));
      await record(h().verify(s.plaintext, { authorization: { permissions: "write" } }));
      // Near misses and refusals: the answer never echoes the key that was sent.
      await record(h().verify(s.plaintext.slice(0, -1)));
      await record(h().verify(`${s.plaintext}x`));
    }
    for (const s of keys.slice(0, 2)) await record(h().verify(s.plaintext)); // deleted keys
    let cursor: string | undefined;
    do {
      const page = await record(h().get("/v1/apis.listKeys", { apiId, limit: "7", decrypt: "true", ...(cursor && { cursor }) }, ws.rootKey));
      expect(page.status).toBe(200);
      cursor = page.body.cursor;
    } while (cursor);
    await record(h().get("/v1/rootKeys.listRootKeys", {}, ws.rootKey));
    await record(h().get("/v1/apis.getApi", { apiId }, ws.rootKey));
    await record(h().call("GET", "/openapi.json"));
    // Refusals made with each root key itself.
    for (const s of secrets.filter((x) => x.kind === "root key")) {
      await record(h().get("/v1/apis.getApi", { apiId: "api_missing" }, s.plaintext));
      await record(h().post("/v1/keys.createKey", { apiId, byteLength: 1 }, s.plaintext));
    }
    await record(h().post("/v1/keys.verifyKey", { key: keys[3]!.plaintext, apiId: 1 }));

    expect(seen.length).toBeGreaterThan(keys.length * 5);
    const leak = findLeak(seen.join("\n"), secrets, true);
    expect(leak, leak).toBeUndefined();
  });
});

/**
 * Recoverable keys: the database holds a hash and a vault ciphertext, still never the key; the
 * plaintext comes back only from getKey/listKeys with decrypt=true, which is what recovery is for.
 */
forEachDatabase(
  "no plaintext stored for recoverable keys",
  (h) => {
    test("the key table holds ciphertexts, not keys; only decrypt=true gives the key back", async () => {
      const ws = await h().workspace();
      const apiId = await h().createApi(ws, "recoverable");
      expect((await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, ws.rootKey)).status).toBe(200);
      const secrets: Secret[] = [];
      for (const prefix of PREFIXES) {
        for (const byteLength of [16, 64, 255]) {
          const { key, keyId } = await h().createKey(ws, apiId, { prefix, byteLength, recoverable: true, remaining: 5 });
          secrets.push({ kind: "key", plaintext: key, keyId });
        }
      }
      const seen: string[] = [];
      for (const s of secrets) {
        const verdict = await h().verify(s.plaintext);
        expect(verdict.body.valid).toBe(true);
        const got = await h().get("/v1/keys.getKey", { keyId: s.keyId }, ws.rootKey);
        expect(got.body.plaintext).toBeUndefined();
        seen.push(JSON.stringify(verdict.body), JSON.stringify(got.body));
      }
      const page = await h().get("/v1/apis.listKeys", { apiId }, ws.rootKey);
      seen.push(JSON.stringify(page.body));

      const dump = JSON.stringify(await h().dump());
      const stored = findLeak(dump, secrets, false);
      expect(stored, stored).toBeUndefined();
      const returned = findLeak(seen.join("\n"), secrets, true);
      expect(returned, returned).toBeUndefined();
      // The control: each row really is recoverable, and decrypt=true is the one way back.
      for (const s of secrets) {
        const decrypted = await h().get("/v1/keys.getKey", { keyId: s.keyId, decrypt: "true" }, ws.rootKey);
        expect(decrypted.body.plaintext).toBe(s.plaintext);
      }
    });
  },
  { vault: true },
);
