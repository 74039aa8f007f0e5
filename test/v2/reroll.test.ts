import { createHash, randomBytes } from "node:crypto";
import { expect, test } from "vitest";
import * as errors from "unkey-api-v2/models/errors";
import { type Harness, forEachDatabase, onTwoInstances } from "../harness.ts";
import { useV2Sdk } from "./sdk-context.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Verifies `key` until it answers `code` or `ms` pass; the last verdict. */
async function verifyUntil(h: Harness, key: string, code: string, ms: number, rootKey?: string): Promise<{ code: string; at: number }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const verdict = (await h.post("/v1/keys.verifyKey", { key }, rootKey)).body;
    if (verdict.code === code || Date.now() > deadline) return { code: verdict.code, at: Date.now() };
    await sleep(50);
  }
}

/** What rerolling must keep: the key as getKey shows it, less what belongs to the key itself. */
function settingsOf(view: Record<string, unknown>) {
  const { id: _id, start: _start, createdAt: _created, updatedAt: _updated, expires: _expires, ...rest } = view;
  return rest;
}

forEachDatabase(
  "v2 keys.rerollKey",
  (h) => {
    const v2 = useV2Sdk(h);
    const getKey = (keyId: string, rootKey: string, decrypt = false) =>
      h().get("/v1/keys.getKey", { keyId, ...(decrypt && { decrypt: "true" }) }, rootKey).then((r) => r.body);

    test("the new key has the old one's prefix, settings, credits, limits, permissions and roles; the old one expires after the grace period", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().createApi(ws);
      const expires = Date.now() + 3_600_000;
      const old = await h().createKey(ws, apiId, {
        prefix: "sk_test",
        name: "acme",
        ownerId: "user_1",
        meta: { plan: "pro" },
        expires,
        remaining: 10,
        refill: { interval: "daily", amount: 10 },
        ratelimit: { limit: 5, duration: 60_000 },
        environment: "test",
        permissions: ["docs.read", "docs.write"],
        roles: ["admin"],
      });
      expect((await h().verify(old.key)).body).toMatchObject({ valid: true, remaining: 9 });
      const before = await getKey(old.keyId, ws.rootKey);

      const t0 = Date.now();
      const res = await unkey.keys.rerollKey({ keyId: old.keyId, expiration: 1500 });
      const { keyId, key } = res.data;
      expect(keyId).not.toBe(old.keyId);
      expect(key).toMatch(/^sk_test_/);
      const after = await getKey(keyId, ws.rootKey);
      expect(settingsOf(after)).toEqual(settingsOf(before));
      expect(after.expires).toBe(expires);
      expect(after.ratelimit).toEqual(before.ratelimit);

      const verdict = (await h().verify(key)).body;
      expect(verdict).toMatchObject({ valid: true, code: "VALID", keyId, name: "acme", ownerId: "user_1", meta: { plan: "pro" }, environment: "test", remaining: 8 });
      expect(verdict).toMatchObject({ permissions: ["docs.read", "docs.write"], roles: ["admin"], ratelimit: { limit: 5, remaining: 4 } });

      // The old key: VALID during the grace period, EXPIRED after it, never before 1500 ms from the request.
      expect((await h().verify(old.key)).body).toMatchObject({ valid: true, code: "VALID" });
      const end = await verifyUntil(h(), old.key, "EXPIRED", 10_000);
      expect(end.code).toBe("EXPIRED");
      expect(end.at - t0).toBeGreaterThanOrEqual(1500);
      expect((await getKey(old.keyId, ws.rootKey)).expires).toBeLessThan(expires);
      expect((await h().verify(key)).body).toMatchObject({ valid: true });
    });

    test("expiration 0 expires the old key at once; an earlier expiry the old key had stays", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().createApi(ws);
      const old = await h().createKey(ws, apiId);
      const { key } = (await unkey.keys.rerollKey({ keyId: old.keyId, expiration: 0 })).data;
      expect((await h().verify(old.key)).body).toMatchObject({ valid: false, code: "EXPIRED" });
      expect((await h().verify(key)).body).toMatchObject({ valid: true, code: "VALID" });
      expect((await getKey(old.keyId, ws.rootKey)).id).toBe(old.keyId); // expired, not deleted (as Unkey)

      const soon = Date.now() + 600_000;
      const short = await h().createKey(ws, apiId, { expires: soon });
      await unkey.keys.rerollKey({ keyId: short.keyId, expiration: 86_400_000 });
      expect((await getKey(short.keyId, ws.rootKey)).expires).toBe(soon);
    });

    test("a recoverable key stays recoverable: getKey decrypts the new plaintext; that takes encrypt_key as well as create_key", async () => {
      const { unkey, sdk, ws } = v2();
      const apiId = await h().recoverableApi(ws);
      const old = await h().createKey(ws, apiId, { recoverable: true });
      const creator = await h().rootKey(ws, [`api.${apiId}.create_key`]);
      const denied = await sdk(creator.key).keys.rerollKey({ keyId: old.keyId, expiration: 0 }).catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(errors.ForbiddenErrorResponse);
      expect((denied as errors.ForbiddenErrorResponse).data$.error.detail).toMatch(/encrypt_key/);
      expect((await h().verify(old.key)).body.code).toBe("VALID"); // a refusal changes nothing

      const { keyId, key } = (await unkey.keys.rerollKey({ keyId: old.keyId, expiration: 60_000 })).data;
      expect((await getKey(keyId, ws.rootKey, true)).plaintext).toBe(key);
      expect((await getKey(old.keyId, ws.rootKey, true)).plaintext).toBe(old.key);

      // A plain key needs create_key only; without it, 403.
      const plainApi = await h().createApi(ws);
      const plain = await h().createKey(ws, plainApi);
      const scoped = await h().rootKey(ws, [`api.${plainApi}.create_key`]);
      expect((await sdk(scoped.key).keys.rerollKey({ keyId: plain.keyId, expiration: 0 })).data.key).toBeTruthy();
      expect((await getKey((await unkey.keys.rerollKey({ keyId: plain.keyId, expiration: 0 })).data.keyId, ws.rootKey, true)).plaintext).toBeUndefined();
      const reader = await h().rootKey(ws, ["api.*.read_key"]);
      await expect(sdk(reader.key).keys.rerollKey({ keyId: plain.keyId, expiration: 0 })).rejects.toBeInstanceOf(errors.ForbiddenErrorResponse);
    });

    test("another workspace's keyId answers exactly like a missing one, and the foreign key is left as it was", async () => {
      const { unkey } = v2();
      const other = await h().workspace();
      const foreignApi = await h().createApi(other);
      const foreign = await h().createKey(other, foreignApi, { name: "theirs" });
      const before = await getKey(foreign.keyId, other.rootKey);
      const a = await unkey.keys.rerollKey({ keyId: foreign.keyId, expiration: 0 }).catch((e: unknown) => e);
      const b = await unkey.keys.rerollKey({ keyId: "key_missing", expiration: 0 }).catch((e: unknown) => e);
      expect(a).toBeInstanceOf(errors.NotFoundErrorResponse);
      expect((a as errors.NotFoundErrorResponse).data$.error).toEqual((b as errors.NotFoundErrorResponse).data$.error);
      expect(await getKey(foreign.keyId, other.rootKey)).toEqual(before);
      expect((await h().verify(foreign.key)).body).toMatchObject({ valid: true, code: "VALID" });
      const keys = (await h().get("/v1/apis.listKeys", { apiId: foreignApi }, other.rootKey)).body;
      expect(keys.total).toBe(1);
    });

    test("an imported key rerolls into a Keyhold key with the prefix its start shows; bad input is a 400 at the field", async () => {
      const { unkey, ws } = v2();
      const apiId = await h().createApi(ws);
      const imported = `legacy_${randomBytes(16).toString("hex")}`;
      const hash = createHash("sha256").update(imported).digest("base64");
      const res = await h().post("/v1/migrations.createKeys", [{ apiId, prefix: "legacy", start: imported.slice(0, 11), hash: { value: hash, variant: "sha256_base64" } }], ws.rootKey);
      const [importedId] = res.body.keyIds;
      const { key } = (await unkey.keys.rerollKey({ keyId: importedId, expiration: 0 })).data;
      expect(key).toMatch(/^legacy_[1-9A-HJ-NP-Za-km-z]+$/);
      expect((await h().verify(key)).body).toMatchObject({ valid: true });
      expect((await h().verify(imported, { apiId })).body).toMatchObject({ valid: false, code: "EXPIRED" });

      for (const [body, location] of [
        [{ keyId: importedId, expiration: -1 }, "body.expiration"],
        [{ keyId: importedId, expiration: 1.5 }, "body.expiration"],
        [{ keyId: "", expiration: 0 }, "body.keyId"],
      ] as const) {
        const bad = await h().post("/v2/keys.rerollKey", body, ws.rootKey);
        expect(bad.status).toBe(400);
        expect(bad.body.error.errors[0].location).toBe(location);
      }
    });
  },
  { vault: true },
);

onTwoInstances(
  "a reroll on one instance ends the old key on another, whose verify cache held it",
  (a, b) => {
    test("instance b stops serving the old key's cached record", async () => {
      const ws = await a().workspace();
      const apiId = await a().createApi(ws);
      const old = await a().createKey(ws, apiId);
      expect((await b().verify(old.key)).body.code).toBe("VALID");
      expect((await b().verify(old.key)).body.code).toBe("VALID"); // now from b's cache
      const res = await a().post("/v2/keys.rerollKey", { keyId: old.keyId, expiration: 0 }, ws.rootKey);
      expect(res.status).toBe(200);
      expect((await verifyUntil(b(), old.key, "EXPIRED", 5000)).code).toBe("EXPIRED");
      expect((await b().verify(res.body.data.key)).body.code).toBe("VALID");
    });
  },
  { cache: true },
);
