import type { Unkey } from "@unkey/api";
import { Unkey as UnkeyV2 } from "unkey-api-v2";
import { beforeAll, expect, test } from "vitest";
import { type Workspace, forEachDatabase } from "../harness.ts";
import { useListener, v1Sdk } from "../listen.ts";
import { roomyWindow } from "../adversarial/limits-helpers.ts";

/**
 * Identities through Unkey's v1 SDK (0.38.0), and the one link both versions share: a key
 * made with v1's `ownerId` belongs to the identity v2 knows by that `externalId`, and back.
 */
forEachDatabase("identities through @unkey/api 0.38.0 (v1) and 2.5.1 (v2)", (h) => {
  const url = useListener(h);
  let ws: Workspace;
  let unkey: Unkey;
  let v2: UnkeyV2;

  beforeAll(async () => {
    ws = await h().workspace();
    unkey = v1Sdk(url(), ws.rootKey);
    v2 = new UnkeyV2({ rootKey: ws.rootKey, serverURL: url(), retryConfig: { strategy: "none" } });
  });

  test("create, get (by identityId and externalId), list, update, delete", async () => {
    const created = await unkey.identities.create({ externalId: "v1_org", meta: { tier: "gold" }, ratelimits: [{ name: "calls", limit: 10, duration: 60_000 }] });
    expect(created.error).toBeUndefined();
    const identityId = created.result!.identityId;
    expect(identityId).toMatch(/^id_/);
    const expected = { id: identityId, externalId: "v1_org", meta: { tier: "gold" }, ratelimits: [{ name: "calls", limit: 10, duration: 60_000 }] };
    expect((await unkey.identities.get({ identityId })).result).toEqual(expected);
    expect((await unkey.identities.get({ externalId: "v1_org" })).result).toEqual(expected);

    const duplicate = await unkey.identities.create({ externalId: "v1_org" });
    expect(duplicate.error?.code).toBe("CONFLICT");

    const listed = await unkey.identities.list({ limit: 100 });
    expect(listed.error).toBeUndefined();
    expect(listed.result!.identities).toContainEqual({ id: identityId, externalId: "v1_org", ratelimits: [{ name: "calls", limit: 10, duration: 60_000 }] });
    expect(listed.result!.total).toBe(listed.result!.identities.length);
    expect((await unkey.identities.list({ environment: "staging" })).result).toEqual({ identities: [], total: 0 });

    const updated = await unkey.identities.update({ externalId: "v1_org", meta: {}, ratelimits: [{ name: "calls", limit: 20, duration: 60_000 }] });
    expect(updated.error).toBeUndefined();
    expect(updated.result).toEqual({ ...expected, meta: {}, ratelimits: [{ name: "calls", limit: 20, duration: 60_000 }] });
    // v1's limits have no autoApply: counted when a verify names them.
    const v2View = (await v2.identities.getIdentity({ identity: identityId })).data;
    expect(v2View.ratelimits).toEqual([{ id: expect.stringMatching(/^rl_/), name: "calls", limit: 20, duration: 60_000, autoApply: false }]);

    expect((await unkey.identities.delete({ identityId })).error).toBeUndefined();
    expect((await unkey.identities.get({ identityId })).error?.code).toBe("NOT_FOUND");
    expect((await unkey.identities.delete({ identityId })).error?.code).toBe("NOT_FOUND");
    expect((await unkey.identities.update({ identityId, meta: { a: 1 } })).error?.code).toBe("NOT_FOUND");
  });

  test("a v1 update keeps autoApply where v2 set it", async () => {
    await v2.identities.createIdentity({ externalId: "mixed", ratelimits: [{ name: "auto", limit: 5, duration: 60_000, autoApply: true }] });
    await unkey.identities.update({ externalId: "mixed", ratelimits: [{ name: "auto", limit: 6, duration: 60_000 }, { name: "fresh", limit: 1, duration: 60_000 }] });
    const view = (await v2.identities.getIdentity({ identity: "mixed" })).data;
    expect(view.ratelimits?.map((r) => [r.name, r.limit, r.autoApply])).toEqual([
      ["auto", 6, true],
      ["fresh", 1, false],
    ]);
  });

  test("v1 ownerId and v2 externalId are the same link, both ways; v1 getKey and verify answer the identity", async () => {
    const apiId = (await unkey.apis.create({ name: "linked" })).result!.apiId;
    // v1 makes it, v2 finds it by its identity.
    const v1Key = (await unkey.keys.create({ apiId, ownerId: "shared_owner" })).result!;
    const identity = (await v2.identities.getIdentity({ identity: "shared_owner" })).data;
    expect((await v2.keys.getKey({ keyId: v1Key.keyId })).data.identity).toEqual({ id: identity.id, externalId: "shared_owner" });
    // v2 makes one, v1 sees it as the same owner.
    const v2Key = (await v2.keys.createKey({ apiId, externalId: "shared_owner" })).data;
    const v1View = (await unkey.keys.get({ keyId: v2Key.keyId })).result!;
    expect(v1View).toMatchObject({ ownerId: "shared_owner", identity: { id: identity.id, externalId: "shared_owner" } });
    const byOwner = (await unkey.apis.listKeys({ apiId, ownerId: "shared_owner" })).result!;
    expect(byOwner.keys.map((k) => k.id).sort()).toEqual([v1Key.keyId, v2Key.keyId].sort());
    expect((await v2.apis.listKeys({ apiId, externalId: "shared_owner" })).result.data.map((k) => k.keyId).sort()).toEqual([v1Key.keyId, v2Key.keyId].sort());

    await v2.identities.updateIdentity({ identity: identity.id, meta: { plan: "team" } });
    const verdict = await unkey.keys.verify({ key: v1Key.key });
    expect(verdict.result).toMatchObject({ valid: true, ownerId: "shared_owner", identity: { id: identity.id, externalId: "shared_owner", meta: { plan: "team" } } });

    // v1 updateKey moves the key to another owner and clears it.
    expect((await unkey.keys.update({ keyId: v1Key.keyId, ownerId: "moved_owner" })).error).toBeUndefined();
    expect((await v2.keys.getKey({ keyId: v1Key.keyId })).data.identity?.externalId).toBe("moved_owner");
    expect((await unkey.keys.update({ keyId: v1Key.keyId, ownerId: null })).error).toBeUndefined();
    const cleared = (await unkey.keys.get({ keyId: v1Key.keyId })).result!;
    expect(cleared.ownerId).toBeUndefined();
    expect(cleared.identity).toBeUndefined();
    const clearedVerdict = (await unkey.keys.verify({ key: v1Key.key })).result!;
    expect(clearedVerdict.valid).toBe(true);
    expect(clearedVerdict.identity).toBeUndefined();
  });

  test("v1 verify applies a named identity limit across every key of the identity", async () => {
    const apiId = (await unkey.apis.create({ name: "limited" })).result!.apiId;
    await unkey.identities.create({ externalId: "metered", ratelimits: [{ name: "org", limit: 3, duration: roomyWindow() }] });
    const keys = [];
    for (let i = 0; i < 3; i++) keys.push((await unkey.keys.create({ apiId, ownerId: "metered" })).result!.key);
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await unkey.keys.verify({ key: keys[i % 3]!, ratelimits: [{ name: "org" }] })).result!.code);
    expect(codes).toEqual(["VALID", "VALID", "VALID", "RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"]);
    // Not named, not counted (v1 limits are not auto-applied).
    expect((await unkey.keys.verify({ key: keys[0]! })).result!.code).toBe("VALID");
  });
});
