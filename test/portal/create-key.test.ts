import { and, eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { chainAllPending } from "../../src/audit/chain.ts";
import { activities, auditLog, keys, rootKeys } from "../../src/db/schema.ts";
import { MAX_PORTAL_KEYS_PER_API } from "../../src/portal/portal-keys.ts";
import { forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope } from "../security/envelope.ts";
import { ALL_SCOPES, portalCall, portalWorld, sessionToken, withoutRequestId } from "./fixtures.ts";

/**
 * portal.createKey over HTTP: a key of the session identity's own, in one of the portal's APIs,
 * recoverable where the API is, answered once; a CREATE_KEY activity under the policies; and
 * bounded per identity and API.
 */
const MISSING_API = "api_1Ghu6Y4bN7qKcVwQfZ2Rt8";

forEachDatabase(
  "portal.createKey",
  (h) => {
    const liveKeysOf = async (apiId: string, identityId: string) => (await h().db.select().from(keys).where(and(eq(keys.apiId, apiId), eq(keys.identityId, identityId)))).length;

    test("creates the identity's own key, recoverable where the API is: answered once (no-store), listed, revealable, recorded without the key", async () => {
      const world = await portalWorld(h());
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ["keys:create", "keys:read", "keys:reveal"]);
      const res = await portalCall(h(), "createKey", { apiId: world.apiId, name: "laptop" }, token);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const { keyId, key } = res.body.data;
      expect(Object.keys(res.body.data).sort()).toEqual(["key", "keyId"]);
      expect((await h().verify(key)).body).toMatchObject({ valid: true, keyId, name: "laptop", ownerId: "alice" });
      // Alice's: in her list, and its plaintext is hers to reveal again.
      const listed = (await portalCall(h(), "listKeys", {}, token)).body.data.map((k: { keyId: string }) => k.keyId);
      expect(listed).toContain(keyId);
      expect((await portalCall(h(), "revealKey", { keyId }, token)).body.data).toEqual({ keyId, plaintext: key });
      // Bob's session does not see it.
      const bob = await sessionToken(h(), world.ws.rootKey, world.portalId, "bob", ["keys:read"]);
      expect((await portalCall(h(), "listKeys", {}, bob)).body.data.map((k: { keyId: string }) => k.keyId)).not.toContain(keyId);

      // In the plain API: a plain key (nothing to reveal later), and no name is fine.
      const plain = await portalCall(h(), "createKey", { apiId: world.plainApiId }, token);
      expect(plain.status, JSON.stringify(plain.body)).toBe(200);
      expectErrorEnvelope(await portalCall(h(), "revealKey", { keyId: plain.body.data.keyId }, token), "PRECONDITION_FAILED");

      const [activity] = await h().db.select().from(activities).where(and(eq(activities.workspaceId, world.ws.workspaceId), eq(activities.operation, "portal.createKey"), eq(activities.apiId, world.apiId)));
      expect(activity).toMatchObject({ type: "CREATE_KEY", status: "COMPLETED", initiatorRootKeyId: world.ws.rootKeyId });
      expect(activity!.params).toMatchObject({ apiId: world.apiId, name: "laptop", portalId: world.portalId, externalId: "alice" });
      await chainAllPending(h().db);
      const entries = (await h().db.select().from(auditLog).where(eq(auditLog.workspaceId, world.ws.workspaceId))).filter((e) => e.activityId === activity!.id);
      expect(entries.map((e) => e.event)).toEqual(["activity.completed"]);
      expect(JSON.stringify({ activity, entries })).not.toContain(key);
    });

    test("an API outside the portal or of another workspace is a 404 byte-identical to a missing API; nothing is created", async () => {
      const world = await portalWorld(h());
      const other = await portalWorld(h());
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice");
      const missing = await portalCall(h(), "createKey", { apiId: MISSING_API }, token);
      expectErrorEnvelope(missing, "NOT_FOUND");
      for (const apiId of [world.outsideApiId, other.apiId]) {
        const res = await portalCall(h(), "createKey", { apiId }, token);
        expect(withoutRequestId(res).replace(apiId, MISSING_API)).toBe(withoutRequestId(missing));
      }
      // Alice's one key outside the portal, and the other workspace's two: no more.
      expect(await h().db.select().from(keys).where(eq(keys.apiId, world.outsideApiId))).toHaveLength(1);
      expect(await h().db.select().from(keys).where(eq(keys.apiId, other.apiId))).toHaveLength(2);
    });

    test("without keys:create a 403, the same whatever API it names; the minting root key's create_key stays the ceiling", async () => {
      const world = await portalWorld(h());
      const without = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ALL_SCOPES.filter((s) => s !== "keys:create"));
      const res = await portalCall(h(), "createKey", { apiId: world.plainApiId }, without);
      expectErrorEnvelope(res, "INSUFFICIENT_PERMISSIONS");
      expect(res.status).toBe(403);
      expect(withoutRequestId(await portalCall(h(), "createKey", { apiId: MISSING_API }, without))).toBe(withoutRequestId(res));

      // A root key without create_key cannot mint keys:create at all.
      const reader = await h().rootKey(world.ws, [`portal.${world.portalId}.create_portal_session`, "api.*.read_key", "api.*.read_api"]);
      expectErrorEnvelope(await h().post("/v2/portal.createSession", { portal: world.portalId, externalId: "alice", scopes: ["keys:create"] }, reader.key), "INSUFFICIENT_PERMISSIONS");
      // One that had it and lost it: the session loses it too.
      const minter = await h().rootKey(world.ws, [`portal.${world.portalId}.create_portal_session`, "api.*.create_key", "api.*.encrypt_key"]);
      const token = await sessionToken(h(), minter.key, world.portalId, "alice", ["keys:create"]);
      expect((await portalCall(h(), "createKey", { apiId: world.plainApiId }, token)).status).toBe(200);
      await h().db.update(rootKeys).set({ permissions: [`portal.${world.portalId}.create_portal_session`] }).where(eq(rootKeys.id, minter.keyId));
      expect((await portalCall(h(), "createKey", { apiId: world.plainApiId }, token)).status).toBe(403);
    });

    test(`at ${MAX_PORTAL_KEYS_PER_API} live keys in an API the next is a 412 that says why; an expired or deleted key frees a place; other APIs are counted apart`, async () => {
      const world = await portalWorld(h());
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ["keys:create"]);
      // Alice holds one key in world.apiId already: the provider's keys count too.
      const made: string[] = [];
      for (let i = 1; i < MAX_PORTAL_KEYS_PER_API; i++) {
        const res = await portalCall(h(), "createKey", { apiId: world.apiId }, token);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        made.push(res.body.data.keyId);
      }
      const full = await portalCall(h(), "createKey", { apiId: world.apiId }, token);
      expectErrorEnvelope(full, "PRECONDITION_FAILED");
      expect(full.body.error.detail).toContain(`${MAX_PORTAL_KEYS_PER_API} live keys in this API`);
      const identityId = (await h().db.select().from(keys).where(eq(keys.id, world.alice.recoverable.keyId)))[0]!.identityId!;
      expect(await liveKeysOf(world.apiId, identityId)).toBe(MAX_PORTAL_KEYS_PER_API);
      // Another API of the portal has room of its own.
      expect((await portalCall(h(), "createKey", { apiId: world.plainApiId }, token)).status).toBe(200);
      // One expired, one deleted: two places.
      await h().db.update(keys).set({ expires: Date.now() - 1 }).where(eq(keys.id, made[0]!));
      expect((await h().post("/v2/keys.deleteKey", { keyId: made[1] }, world.ws.rootKey)).status).toBe(200);
      expect((await portalCall(h(), "createKey", { apiId: world.apiId }, token)).status).toBe(200);
      expect((await portalCall(h(), "createKey", { apiId: world.apiId }, token)).status).toBe(200);
      expectErrorEnvelope(await portalCall(h(), "createKey", { apiId: world.apiId }, token), "PRECONDITION_FAILED");
      // The provider's own createKey is not bound by the portal's limit.
      expect((await h().post("/v2/keys.createKey", { apiId: world.apiId, externalId: "alice" }, world.ws.rootKey)).status).toBe(200);
    });

    test("creates at once cannot pass the bound together", async () => {
      const world = await portalWorld(h());
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ["keys:create"]);
      for (let i = 1; i < MAX_PORTAL_KEYS_PER_API - 2; i++) expect((await portalCall(h(), "createKey", { apiId: world.plainApiId }, token)).status).toBe(200);
      // Two places left, six asking at once.
      const answers = await Promise.all(Array.from({ length: 6 }, () => portalCall(h(), "createKey", { apiId: world.plainApiId }, token)));
      expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 412, 412, 412, 412]);
      const identityId = (await h().db.select().from(keys).where(eq(keys.id, world.alice.plain.keyId)))[0]!.identityId!;
      expect(await liveKeysOf(world.plainApiId, identityId)).toBe(MAX_PORTAL_KEYS_PER_API);
    });

    test("a DENY policy on portal creates refuses it without naming the policy, and nothing is created", async () => {
      const world = await portalWorld(h());
      const token = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ["keys:create"]);
      const deny = await h().post("/v2/policies.createPolicy", { name: "no portal keys", effect: "DENY", condition: "activity.type == 'CREATE_KEY' && has(activity.params.portalId)" }, world.ws.rootKey);
      expect(deny.status).toBe(200);
      const identityId = (await h().db.select().from(keys).where(eq(keys.id, world.alice.plain.keyId)))[0]!.identityId!;
      const res = await portalCall(h(), "createKey", { apiId: world.plainApiId }, token);
      expectErrorEnvelope(res, "FORBIDDEN");
      expect(JSON.stringify(res.body)).not.toContain("no portal keys");
      expect(JSON.stringify(res.body)).not.toContain(deny.body.data.policyId);
      expect(await liveKeysOf(world.plainApiId, identityId)).toBe(1);
      // The provider's own creates are not portal creates: the policy leaves them alone.
      expect((await h().post("/v2/keys.createKey", { apiId: world.plainApiId }, world.ws.rootKey)).status).toBe(200);
    });
  },
  { vault: true },
);
