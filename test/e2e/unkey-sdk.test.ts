import { Unkey, and, or } from "@unkey/api";
import { beforeAll, expect, test } from "vitest";
import { type Workspace, forEachDatabase } from "../harness.ts";
import { useListener, v1Sdk } from "../listen.ts";
import { roomyWindow } from "../adversarial/limits-helpers.ts";

/**
 * The published Unkey SDK against a real Keyhold listener, changing nothing but baseUrl.
 * This is the contract's compatibility promise: an Unkey v1 client works unmodified.
 */

forEachDatabase("Unkey SDK @unkey/api 0.38.0", (h) => {
  const url = useListener(h);
  let baseUrl: string;
  let ws: Workspace;
  let unkey: Unkey;

  beforeAll(async () => {
    baseUrl = url();
    ws = await h().workspace();
    unkey = v1Sdk(baseUrl, ws.rootKey);
  });

  test("the documented life of a key", async () => {
    // apis.create / apis.get
    const createdApi = await unkey.apis.create({ name: "sdk-api" });
    expect(createdApi.error).toBeUndefined();
    const apiId = createdApi.result!.apiId;
    expect(apiId).toMatch(/^api_/);
    const api = await unkey.apis.get({ apiId });
    expect(api.error).toBeUndefined();
    expect(api.result).toMatchObject({ id: apiId, name: "sdk-api", workspaceId: ws.workspaceId });

    // keys.create with the fields Unkey's docs show
    const expires = Date.now() + 24 * 3600 * 1000;
    const created = await unkey.keys.create({
      apiId,
      prefix: "sdk",
      name: "customer key",
      byteLength: 16,
      ownerId: "user_123",
      meta: { plan: "pro", seats: 3 },
      expires,
      remaining: 10,
      refill: { interval: "daily", amount: 10 },
      ratelimit: { type: "fast", limit: 5, duration: 60_000 },
      enabled: true,
      permissions: ["documents.read", "documents.write"],
      roles: ["editor"],
    });
    expect(created.error).toBeUndefined();
    const { key, keyId } = created.result!;
    expect(key.startsWith("sdk_")).toBe(true);
    expect(keyId).toMatch(/^key_/);

    // keys.verify
    const verified = await unkey.keys.verify({ key, apiId });
    expect(verified.error).toBeUndefined();
    expect(verified.result).toMatchObject({
      valid: true,
      code: "VALID",
      keyId,
      name: "customer key",
      ownerId: "user_123",
      meta: { plan: "pro", seats: 3 },
      expires,
      remaining: 9,
      ratelimit: { limit: 5, remaining: 4 },
      enabled: true,
    });
    expect([...verified.result!.permissions!].sort()).toEqual(["documents.read", "documents.write"]);

    // verify with the SDK's RBAC helpers
    const allowed = await unkey.keys.verify({ key, apiId, authorization: { permissions: and("documents.read", or("documents.write", "admin")) } });
    expect(allowed.result).toMatchObject({ valid: true, code: "VALID" });
    const denied = await unkey.keys.verify({ key, apiId, authorization: { permissions: and("documents.read", "admin") } });
    expect(denied.result).toMatchObject({ valid: false, code: "INSUFFICIENT_PERMISSIONS" });

    // What the standalone `verifyKey(req)` helper does: it has no baseUrl option (it always targets
    // api.unkey.dev), so we do exactly what its body does, `new Unkey({ rootKey: "public" })`, plus baseUrl.
    const publicClient = v1Sdk(baseUrl, "public");
    const helperStyle = await publicClient.keys.verify({ key });
    expect(helperStyle.result).toMatchObject({ valid: true, code: "VALID", keyId });

    // keys.get
    const got = await unkey.keys.get({ keyId });
    expect(got.error).toBeUndefined();
    expect(got.result).toMatchObject({
      id: keyId,
      apiId,
      workspaceId: ws.workspaceId,
      name: "customer key",
      ownerId: "user_123",
      meta: { plan: "pro", seats: 3 },
      expires,
      refill: { interval: "daily", amount: 10 },
      ratelimit: { async: true, limit: 5, duration: 60_000 },
      enabled: true,
    });
    expect(got.result!.start).toBe(key.slice(0, "sdk_".length + 4));
    expect(JSON.stringify(got.result)).not.toContain(key);

    // keys.update
    const updated = await unkey.keys.update({ keyId, name: "renamed", meta: { plan: "team" }, ownerId: null, enabled: true });
    expect(updated.error).toBeUndefined();
    expect((await unkey.keys.get({ keyId })).result).toMatchObject({ name: "renamed", meta: { plan: "team" } });
    expect((await unkey.keys.get({ keyId })).result!.ownerId).toBeUndefined();

    // keys.updateRemaining
    const remaining = await unkey.keys.updateRemaining({ keyId, op: "increment", value: 5 });
    expect(remaining.error).toBeUndefined();
    // 10, less three successful verifies (the refused one spent nothing), plus 5.
    expect(remaining.result).toEqual({ remaining: 12 });
    const set = await unkey.keys.updateRemaining({ keyId, op: "set", value: 2 });
    expect(set.result).toEqual({ remaining: 2 });

    // apis.listKeys
    const second = await unkey.keys.create({ apiId, prefix: "sdk", ownerId: "user_456" });
    expect(second.error).toBeUndefined();
    const listed = await unkey.apis.listKeys({ apiId });
    expect(listed.error).toBeUndefined();
    expect(listed.result!.total).toBe(2);
    expect(listed.result!.keys.map((k) => k.id).sort()).toEqual([keyId, second.result!.keyId].sort());
    const byOwner = await unkey.apis.listKeys({ apiId, ownerId: "user_456" });
    expect(byOwner.result!.keys.map((k) => k.id)).toEqual([second.result!.keyId]);
    const paged = await unkey.apis.listKeys({ apiId, limit: 1 });
    expect(paged.result!.keys).toHaveLength(1);
    expect(paged.result!.cursor).toBeTypeOf("string");
    const next = await unkey.apis.listKeys({ apiId, limit: 1, cursor: paged.result!.cursor });
    expect(next.result!.keys).toHaveLength(1);
    expect(next.result!.keys[0]!.id).not.toBe(paged.result!.keys[0]!.id);

    // keys.delete, then verify → NOT_FOUND
    const deleted = await unkey.keys.delete({ keyId });
    expect(deleted.error).toBeUndefined();
    const gone = await unkey.keys.verify({ key, apiId });
    expect(gone.error).toBeUndefined();
    expect(gone.result).toMatchObject({ valid: false, code: "NOT_FOUND" });

    // apis.delete takes the remaining key with it
    expect((await unkey.apis.delete({ apiId })).error).toBeUndefined();
    expect((await unkey.apis.get({ apiId })).error).toMatchObject({ code: "NOT_FOUND" });
  });

  test("usage limits and rate limits come back as the SDK's codes", async () => {
    const apiId = (await unkey.apis.create({ name: "limits" })).result!.apiId;
    const { key } = (await unkey.keys.create({ apiId, remaining: 1 })).result!;
    expect((await unkey.keys.verify({ key })).result).toMatchObject({ valid: true, remaining: 0 });
    expect((await unkey.keys.verify({ key })).result).toMatchObject({ valid: false, code: "USAGE_EXCEEDED" });

    const limited = (await unkey.keys.create({ apiId, ratelimit: { type: "consistent", limit: 1, refillRate: 1, refillInterval: roomyWindow() } })).result!;
    expect((await unkey.keys.verify({ key: limited.key })).result).toMatchObject({ valid: true });
    expect((await unkey.keys.verify({ key: limited.key })).result).toMatchObject({ valid: false, code: "RATE_LIMITED" });

    const disabled = (await unkey.keys.create({ apiId, enabled: false })).result!;
    expect((await unkey.keys.verify({ key: disabled.key })).result).toMatchObject({ valid: false, code: "DISABLED" });
    const other = (await unkey.apis.create({ name: "other" })).result!.apiId;
    expect((await unkey.keys.verify({ key: disabled.key, apiId: other })).result).toMatchObject({ valid: false, code: "FORBIDDEN" });
  });

  test("errors arrive as the SDK's { error } values", async () => {
    const missing = await unkey.keys.get({ keyId: "key_1111111111111111111111" });
    expect(missing.result).toBeUndefined();
    expect(missing.error).toMatchObject({ code: "NOT_FOUND" });
    expect(missing.error!.requestId).toMatch(/^req_/);
    expect(typeof missing.error!.message).toBe("string");
    expect(typeof missing.error!.docs).toBe("string");

    const badRoot = v1Sdk(baseUrl, "kh_root_notarealkey");
    expect((await badRoot.apis.create({ name: "x" })).error).toMatchObject({ code: "UNAUTHORIZED" });

    const { key: limitedRoot } = await h().rootKey(ws, ["api.*.read_api"]);
    const weak = v1Sdk(baseUrl, limitedRoot);
    const refused = await weak.apis.create({ name: "x" });
    expect(refused.error).toMatchObject({ code: "INSUFFICIENT_PERMISSIONS" });
    expect(refused.error!.message).toContain("create_api");

    const invalid = await unkey.keys.create({ apiId: "api_x", byteLength: 8 });
    expect(invalid.error).toMatchObject({ code: "BAD_REQUEST" });
  });

  test("the SDK's telemetry headers are harmless", async () => {
    const chatty = new Unkey({ rootKey: ws.rootKey, baseUrl, retry: { attempts: 0 }, wrapperSdkVersion: "keyhold-test@1" });
    const created = await chatty.apis.create({ name: "telemetry" });
    expect(created.error).toBeUndefined();
    expect(created.result!.apiId).toMatch(/^api_/);
  });

  test("over the real listener too, bodies over 1 MiB are refused with 413, declared or chunked", async () => {
    const big = JSON.stringify({ name: "x".repeat(2 * 1024 * 1024) });
    const headers = { Authorization: `Bearer ${ws.rootKey}`, "Content-Type": "application/json" };
    const declared = await fetch(`${baseUrl}/v1/apis.createApi`, { method: "POST", headers, body: big });
    expect(declared.status).toBe(413);
    expect((await declared.json()).error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", requestId: declared.headers.get("X-Request-Id") });

    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
        controller.close();
      },
    });
    const chunked = await fetch(`${baseUrl}/v1/apis.createApi`, { method: "POST", headers, body: stream, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await chunked.json()).error).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    // Nothing was created by either.
    expect((await h().snapshot()).apis!.filter((a: any) => a.name.length > 1000)).toEqual([]);
  });
});
