import { eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { sha256Hex } from "../../src/crypto/hash.ts";
import { identities, keys } from "../../src/db/schema.ts";
import { newId } from "../../src/ids.ts";
import { generateKey, keyStart } from "../../src/keys/key-format.ts";
import { type Harness, type Workspace, forEachDatabase, onTwoInstances } from "../harness.ts";
import { expectWithin } from "./expect-within.ts";

/**
 * The verify cache holds each key with its identity (one join), so a change to an identity
 * must reach every cached key of it: at once on the instance that made it (forget-changed.ts),
 * and on every other instance through the database's notices (drizzle/0006).
 */

interface Owned {
  ws: Workspace;
  externalId: string;
  identityId: string;
  keys: string[];
}

async function ownedKeys(h: Harness, count = 2): Promise<Owned> {
  const ws = await h.workspace();
  const apiId = await h.createApi(ws);
  const externalId = `cust_${ws.workspaceId}`;
  const created = await h.post(
    "/v2/identities.createIdentity",
    { externalId, meta: { plan: "free" }, ratelimits: [{ name: "org", limit: 1000, duration: 60_000, autoApply: true }] },
    ws.rootKey,
  );
  const list = [];
  for (let i = 0; i < count; i++) list.push((await h.createKey(ws, apiId, { ownerId: externalId })).key);
  return { ws, externalId, identityId: created.body.data.identityId, keys: list };
}

const verify = (h: Harness, o: Owned, key: string) => h.post("/v2/keys.verifyKey", { key }, o.ws.rootKey).then((r) => r.body.data);

/**
 * Verifies every key on every instance until each answer comes from that instance's cache
 * (the notices of the keys' own inserts may still be arriving and evict a first load).
 */
async function warm(o: Owned, ...instances: Harness[]): Promise<void> {
  for (const h of instances) {
    for (const key of o.keys) {
      await expectWithin(2000, async () => {
        const hits = h.deps.verifyCache!.hits;
        expect((await verify(h, o, key)).identity.meta).toEqual({ plan: "free" });
        return h.deps.verifyCache!.hits === hits + 1;
      });
    }
  }
}

interface IdentityChange {
  name: string;
  apply: (h: Harness, o: Owned) => Promise<unknown>;
  /** Whether a verify's answer shows the change. */
  seen: (verdict: any) => boolean;
}

const changes: IdentityChange[] = [
  {
    name: "v2 updateIdentity meta",
    apply: (h, o) => h.post("/v2/identities.updateIdentity", { identity: o.identityId, meta: { plan: "pro" } }, o.ws.rootKey),
    seen: (v) => v.identity?.meta?.plan === "pro",
  },
  {
    name: "v1 updateIdentity rate limits (by externalId)",
    apply: (h, o) => h.post("/v1/identities.updateIdentity", { externalId: o.externalId, ratelimits: [] }, o.ws.rootKey),
    seen: (v) => v.valid && v.ratelimits === undefined,
  },
  {
    name: "v2 deleteIdentity (by externalId)",
    apply: (h, o) => h.post("/v2/identities.deleteIdentity", { identity: o.externalId }, o.ws.rootKey),
    seen: (v) => v.valid && v.identity === undefined,
  },
  {
    name: "v1 deleteIdentity",
    apply: (h, o) => h.post("/v1/identities.deleteIdentity", { identityId: o.identityId }, o.ws.rootKey),
    seen: (v) => v.valid && v.identity === undefined,
  },
];

forEachDatabase(
  "verify cache and identity changes, one instance",
  (h) => {
    test.each(changes)("$name: this instance's next verify of every key of the identity sees it", async ({ apply, seen }) => {
      const o = await ownedKeys(h());
      await warm(o, h());
      const res = (await apply(h(), o)) as { status: number };
      expect(res.status).toBe(200);
      for (const key of o.keys) expect(seen(await verify(h(), o, key))).toBe(true);
    });

    test("a key of another identity stays cached through the change", async () => {
      const changed = await ownedKeys(h(), 1);
      const other = await ownedKeys(h(), 1);
      await warm(other, h());
      await changes[0]!.apply(h(), changed);
      const hits = h().deps.verifyCache!.hits;
      await verify(h(), other, other.keys[0]!);
      expect(h().deps.verifyCache!.hits).toBe(hits + 1);
    });
  },
  { cache: true },
);

onTwoInstances(
  "verify cache and identity changes, two instances on one PostgreSQL",
  (a, b) => {
    test.each(changes)("$name made on one instance is seen by both within 1 s", async ({ apply, seen }) => {
      const o = await ownedKeys(a());
      await warm(o, a(), b());
      expect((await apply(a(), o)) as { status: number }).toMatchObject({ status: 200 });
      for (const h of [b(), a()]) {
        for (const key of o.keys) {
          const took = await expectWithin(1000, async () => seen(await verify(h, o, key)));
          expect(took).toBeLessThan(1000);
        }
      }
    });

    test("a change written straight to the database (no API call, so no local eviction) reaches both caches through the notices", async () => {
      const o = await ownedKeys(a());
      await warm(o, a(), b());
      await a().db.update(identities).set({ meta: { plan: "direct" } }).where(eq(identities.id, o.identityId));
      for (const h of [a(), b()]) {
        for (const key of o.keys) await expectWithin(1000, async () => (await verify(h, o, key)).identity?.meta?.plan === "direct");
      }
    });

    test("an identity of more than 1,000 keys announces '*': the other instance still forgets its cached keys", async () => {
      const o = await ownedKeys(a(), 1);
      const [row] = await a().db.select().from(keys).where(eq(keys.identityId, o.identityId));
      const extra = Array.from({ length: 1000 }, () => {
        const key = generateKey({ prefix: "bulk" });
        return { id: newId("key"), workspaceId: row!.workspaceId, apiId: row!.apiId, identityId: o.identityId, hash: sha256Hex(key), start: keyStart(key), createdAt: Date.now() };
      });
      await a().db.insert(keys).values(extra);
      await warm(o, b());
      await a().db.update(identities).set({ meta: { plan: "many" } }).where(eq(identities.id, o.identityId));
      await expectWithin(1000, async () => (await verify(b(), o, o.keys[0]!)).identity?.meta?.plan === "many");
    });
  },
  { cache: true },
);
