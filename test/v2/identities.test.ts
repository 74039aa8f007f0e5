import { expect, test } from "vitest";
import type { Unkey } from "unkey-api-v2";
import * as errors from "unkey-api-v2/models/errors";
import { forEachDatabase } from "../harness.ts";
import { failure, useV2Sdk } from "./sdk-context.ts";

const MINUTE = 60_000;

forEachDatabase("v2 identities through @unkey/api 2.5.1", (h) => {
  const v2 = useV2Sdk(h);

  async function listAll(unkey: Unkey, request: { limit?: number; search?: string }) {
    const pages: { ids: string[]; hasMore: boolean; cursor?: string }[] = [];
    for await (const page of await unkey.identities.listIdentities(request)) {
      pages.push({ ids: page.result.data.map((i) => i.id), ...page.result.pagination });
      if (pages.length > 20) throw new Error("paging does not end");
    }
    return pages;
  }

  test("createIdentity, getIdentity (by id and by externalId), updateIdentity, deleteIdentity: shapes the SDK accepts", async () => {
    const { unkey } = v2();
    const created = await unkey.identities.createIdentity({
      externalId: "acme_1",
      meta: { org: "Acme", nested: { seats: 3 } },
      ratelimits: [
        { name: "tokens", limit: 100, duration: MINUTE, autoApply: true },
        { name: "heavy", limit: 2, duration: 1000 },
      ],
    });
    const identityId = created.data.identityId;
    expect(identityId).toMatch(/^id_[1-9A-HJ-NP-Za-km-z]{22}$/);
    const expected = {
      id: identityId,
      externalId: "acme_1",
      meta: { org: "Acme", nested: { seats: 3 } },
      ratelimits: [
        { id: expect.stringMatching(/^rl_/), name: "tokens", limit: 100, duration: MINUTE, autoApply: true },
        { id: expect.stringMatching(/^rl_/), name: "heavy", limit: 2, duration: 1000, autoApply: false },
      ],
    };
    const byId = (await unkey.identities.getIdentity({ identity: identityId })).data;
    expect(byId).toEqual(expected);
    expect((await unkey.identities.getIdentity({ identity: "acme_1" })).data).toEqual(byId);

    const keepId = byId.ratelimits!.find((r) => r.name === "tokens")!.id;
    const updated = await unkey.identities.updateIdentity({
      identity: "acme_1",
      meta: { org: "Acme Inc" },
      ratelimits: [
        { name: "tokens", limit: 500, duration: MINUTE, autoApply: true },
        { name: "new", limit: 5, duration: 5000, autoApply: false },
      ],
    });
    const after = {
      id: identityId,
      externalId: "acme_1",
      meta: { org: "Acme Inc" },
      ratelimits: [
        { id: keepId, name: "tokens", limit: 500, duration: MINUTE, autoApply: true },
        { id: expect.stringMatching(/^rl_/), name: "new", limit: 5, duration: 5000, autoApply: false },
      ],
    };
    expect(updated.data).toEqual(after);
    expect((await unkey.identities.getIdentity({ identity: identityId })).data).toEqual(after);
    // A field left out stays; [] removes every limit.
    expect((await unkey.identities.updateIdentity({ identity: identityId, ratelimits: [] })).data).toEqual({ ...after, ratelimits: [] });
    expect((await unkey.identities.updateIdentity({ identity: identityId, meta: {} })).data).toEqual({ ...after, meta: {}, ratelimits: [] });

    await unkey.identities.deleteIdentity({ identity: identityId });
    for (const identity of [identityId, "acme_1"]) {
      const gone = await failure(unkey.identities.getIdentity({ identity }));
      expect(gone).toBeInstanceOf(errors.NotFoundErrorResponse);
      expect((gone as errors.NotFoundErrorResponse).data$.error).toMatchObject({ status: 404, title: "Not Found" });
      expect(await failure(unkey.identities.deleteIdentity({ identity }))).toBeInstanceOf(errors.NotFoundErrorResponse);
      expect(await failure(unkey.identities.updateIdentity({ identity, meta: {} }))).toBeInstanceOf(errors.NotFoundErrorResponse);
    }
    // The externalId is free again: a new identity, with a new id.
    const again = await unkey.identities.createIdentity({ externalId: "acme_1" });
    expect(again.data.identityId).not.toBe(identityId);
    expect((await unkey.identities.getIdentity({ identity: "acme_1" })).data).toEqual({ id: again.data.identityId, externalId: "acme_1", ratelimits: [] });
  });

  test("a second identity with the same externalId is a 409 ConflictErrorResponse; the same externalId in another workspace is fine", async () => {
    const { unkey, sdk } = v2();
    await unkey.identities.createIdentity({ externalId: "dup" });
    const e = await failure(unkey.identities.createIdentity({ externalId: "dup", meta: { x: 1 } }));
    expect(e).toBeInstanceOf(errors.ConflictErrorResponse);
    expect((e as errors.ConflictErrorResponse).data$.error).toMatchObject({ status: 409 });
    // Exact under concurrency: the unique index decides.
    const racing = await Promise.allSettled(Array.from({ length: 10 }, () => unkey.identities.createIdentity({ externalId: "race" })));
    expect(racing.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(racing.filter((r) => r.status === "rejected").every((r) => (r as PromiseRejectedResult).reason instanceof errors.ConflictErrorResponse)).toBe(true);
    const other = await h().workspace();
    expect((await sdk(other.rootKey).identities.createIdentity({ externalId: "dup" })).data.identityId).toMatch(/^id_/);
  });

  test("listIdentities pages in creation order with cursor and hasMore, and search matches id or externalId in any case", async () => {
    const { sdk } = v2();
    const ws = await h().workspace();
    const unkey = sdk(ws.rootKey);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await unkey.identities.createIdentity({ externalId: `Team_${i}`, meta: { i } })).data.identityId);
    const pages = await listAll(unkey, { limit: 2 });
    expect(pages.map((p) => p.ids)).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
    expect(pages.map((p) => p.hasMore)).toEqual([true, true, false]);
    const first = (await unkey.identities.listIdentities({ limit: 10 })).result.data;
    expect(first[0]).toEqual({ id: ids[0], externalId: "Team_0", meta: { i: 0 }, ratelimits: [] });
    expect((await unkey.identities.listIdentities({ search: "team_3" })).result.data.map((i) => i.id)).toEqual([ids[3]]);
    expect((await unkey.identities.listIdentities({ search: ids[1]!.slice(5, 15).toLowerCase() })).result.data.map((i) => i.id)).toEqual([ids[1]]);
    // LIKE's wildcards are literal.
    expect((await unkey.identities.listIdentities({ search: "%" })).result.data).toEqual([]);
    await unkey.identities.deleteIdentity({ identity: ids[0]! });
    expect((await listAll(unkey, {})).flatMap((p) => p.ids)).toEqual(ids.slice(1));
  });

  test("createKey externalId links the key to the identity, creating it on first use; updateKey changes and clears the link", async () => {
    const { unkey } = v2();
    const apiId = (await unkey.apis.createApi({ name: "linking" })).data.apiId;
    const first = await unkey.keys.createKey({ apiId, externalId: "new_owner" });
    const identity = (await unkey.identities.getIdentity({ identity: "new_owner" })).data;
    expect(identity).toEqual({ id: expect.stringMatching(/^id_/), externalId: "new_owner", ratelimits: [] });
    const second = await unkey.keys.createKey({ apiId, externalId: "new_owner" });
    for (const { keyId } of [first.data, second.data]) {
      expect((await unkey.keys.getKey({ keyId })).data.identity).toEqual({ id: identity.id, externalId: "new_owner" });
    }
    const owned = (await unkey.apis.listKeys({ apiId, externalId: "new_owner" })).result.data.map((k) => k.keyId);
    expect(owned).toEqual([first.data.keyId, second.data.keyId]);

    await unkey.keys.updateKey({ keyId: second.data.keyId, externalId: "other_owner" });
    const other = (await unkey.identities.getIdentity({ identity: "other_owner" })).data;
    expect((await unkey.keys.getKey({ keyId: second.data.keyId })).data.identity).toEqual({ id: other.id, externalId: "other_owner" });
    await unkey.keys.updateKey({ keyId: second.data.keyId, externalId: null });
    expect((await unkey.keys.getKey({ keyId: second.data.keyId })).data.identity).toBeUndefined();
    // The identity stays (as in Unkey), and its other key still belongs to it.
    expect((await unkey.apis.listKeys({ apiId, externalId: "new_owner" })).result.data.map((k) => k.keyId)).toEqual([first.data.keyId]);
  });

  test("verifyKey answers the identity with its meta and limits; the identity's auto-applied limit is checked and reported", async () => {
    const { unkey } = v2();
    const apiId = (await unkey.apis.createApi({ name: "verify" })).data.apiId;
    const { identityId } = (
      await unkey.identities.createIdentity({
        externalId: "verified_owner",
        meta: { plan: "team" },
        ratelimits: [
          { name: "shared", limit: 3, duration: MINUTE, autoApply: true },
          { name: "named", limit: 1, duration: MINUTE },
        ],
      })
    ).data;
    const { key } = (await unkey.keys.createKey({ apiId, externalId: "verified_owner" })).data;
    const verdict = (await unkey.keys.verifyKey({ key })).data;
    expect(verdict).toMatchObject({ valid: true, code: "VALID" });
    expect(verdict.identity).toEqual({
      id: identityId,
      externalId: "verified_owner",
      meta: { plan: "team" },
      ratelimits: [
        { id: expect.stringMatching(/^rl_/), name: "shared", limit: 3, duration: MINUTE, autoApply: true },
        { id: expect.stringMatching(/^rl_/), name: "named", limit: 1, duration: MINUTE, autoApply: false },
      ],
    });
    expect(verdict.ratelimits).toEqual([expect.objectContaining({ name: "shared", limit: 3, remaining: 2, exceeded: false, autoApply: true })]);
    // A named identity limit is checked when asked for.
    const named = (await unkey.keys.verifyKey({ key, ratelimits: [{ name: "named" }] })).data;
    expect(named.ratelimits?.map((r) => [r.name, r.remaining, r.exceeded])).toEqual([
      ["named", 0, false],
      ["shared", 1, false],
    ]);
    const refused = (await unkey.keys.verifyKey({ key, ratelimits: [{ name: "named" }] })).data;
    expect(refused).toMatchObject({ valid: false, code: "RATE_LIMITED" });
    // The refusal gave back what "shared" took: one is still left of it.
    expect(refused.ratelimits?.find((r) => r.name === "shared")).toMatchObject({ remaining: 1, exceeded: false });
    // A name neither the key nor the identity has is still a 412.
    const missing = await failure(unkey.keys.verifyKey({ key, ratelimits: [{ name: "nowhere" }] }));
    expect((missing as errors.UnkeyError).statusCode).toBe(412);
  });

  test("a key's own limit of a name shadows its identity's: only the key's is checked", async () => {
    const { unkey } = v2();
    const apiId = (await unkey.apis.createApi({ name: "shadow" })).data.apiId;
    await unkey.identities.createIdentity({ externalId: "shadowed", ratelimits: [{ name: "rps", limit: 1, duration: MINUTE, autoApply: true }] });
    const { key } = (await unkey.keys.createKey({ apiId, externalId: "shadowed", ratelimits: [{ name: "rps", limit: 5, duration: MINUTE, autoApply: true }] })).data;
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await unkey.keys.verifyKey({ key })).data);
    expect(results.map((r) => r.code)).toEqual(["VALID", "VALID", "VALID"]);
    expect(results[2]!.ratelimits).toEqual([expect.objectContaining({ name: "rps", limit: 5, remaining: 2 })]);
    // The identity's shadowed limit is not reported as one of the key's identity limits.
    expect(results[2]!.identity).toEqual({ id: expect.stringMatching(/^id_/), externalId: "shadowed" });
  });

  test("deleting an identity leaves its keys verifying without it, and frees its limits", async () => {
    const { unkey } = v2();
    const apiId = (await unkey.apis.createApi({ name: "delete" })).data.apiId;
    await unkey.identities.createIdentity({ externalId: "doomed", meta: { a: 1 }, ratelimits: [{ name: "one", limit: 1, duration: MINUTE, autoApply: true }] });
    const { key, keyId } = (await unkey.keys.createKey({ apiId, externalId: "doomed" })).data;
    expect((await unkey.keys.verifyKey({ key })).data.code).toBe("VALID");
    expect((await unkey.keys.verifyKey({ key })).data.code).toBe("RATE_LIMITED");
    await unkey.identities.deleteIdentity({ identity: "doomed" });
    const after = (await unkey.keys.verifyKey({ key })).data;
    expect(after).toMatchObject({ valid: true, code: "VALID" });
    expect(after.identity).toBeUndefined();
    expect((await unkey.keys.getKey({ keyId })).data.identity).toBeUndefined();
    expect((await unkey.apis.listKeys({ apiId, externalId: "doomed" })).result.data).toEqual([]);
  });

  test("bad input is a 400 naming the field; a root key without the permission a 403; bounds as for keys", async () => {
    const { unkey, sdk } = v2();
    await unkey.identities.createIdentity({ externalId: "bounded" });
    for (const [call, location] of [
      [() => unkey.identities.createIdentity({ externalId: "" }), "body.externalId"],
      [() => unkey.identities.createIdentity({ externalId: "x", ratelimits: [{ name: "r", limit: 0, duration: 1000 }] }), "body.ratelimits.0.limit"],
      [() => unkey.identities.createIdentity({ externalId: "x", ratelimits: Array.from({ length: 51 }, (_, i) => ({ name: `r${i}`, limit: 1, duration: 1000 })) }), "body.ratelimits"],
      [() => unkey.identities.updateIdentity({ identity: "bounded", meta: { s: "\ud800" } }), "body.meta.s"],
      [() => unkey.identities.listIdentities({ limit: 101 }), "body.limit"],
    ] as const) {
      const e = (await failure(call())) as errors.BadRequestErrorResponse;
      expect(e, location).toBeInstanceOf(errors.BadRequestErrorResponse);
      expect((e.data$.error as { errors: { location: string }[] }).errors.map((x) => x.location), location).toContain(location);
    }
    const duplicateNames = (await failure(
      unkey.identities.updateIdentity({ identity: "bounded", ratelimits: [{ name: "a", limit: 1, duration: 1000 }, { name: "a", limit: 2, duration: 1000 }] }),
    )) as errors.BadRequestErrorResponse;
    expect(duplicateNames).toBeInstanceOf(errors.BadRequestErrorResponse);
    const reader = sdk((await h().rootKey(v2().ws, ["identity.*.read_identity"])).key);
    expect((await reader.identities.getIdentity({ identity: "bounded" })).data.externalId).toBe("bounded");
    const denied = await failure(reader.identities.updateIdentity({ identity: "bounded", meta: { a: 1 } }));
    expect(denied).toBeInstanceOf(errors.ForbiddenErrorResponse);
    expect(JSON.stringify((denied as errors.ForbiddenErrorResponse).data$.error)).toContain("identity.");
  });
});
