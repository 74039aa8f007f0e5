import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, test } from "vitest";
import { type Harness, type Response, type Workspace, forEachDatabase } from "../harness.ts";
import { errorMessage, expectErrorEnvelope } from "../security/envelope.ts";
import { ALL, type AuthRoute, type Fixture, INERT_POLICY, authRoutes, full, get, ownerOf, post, send } from "./auth-routes.ts";

/**
 * Point 5: the permission each endpoint and option needs is declared in `authRoutes`
 * (auth-routes.ts); every endpoint is called with a root key holding no permission, the
 * exact permission, the workspace-wide wildcard, the same permission for another API and
 * the bare `*`, and must answer exactly as the table says. decrypt=true needs read and
 * decrypt; creating a recoverable key needs encrypt_key.
 */

type Variant = "none" | "exact" | "wildcard" | "other API" | "bare *";
const VARIANTS: Variant[] = ["none", "exact", "wildcard", "other API", "bare *"];
/** What each variant must get: the declared table in one line. */
const EXPECTED: Record<Variant, 200 | 403> = { none: 403, exact: 200, wildcard: 200, "other API": 403, "bare *": 200 };

/** The permissions a root key of `variant` holds for `route` on fixture API `apiId`. */
function held(route: AuthRoute, variant: Variant, apiId: string, otherApiId: string): string[] {
  const literal = (need: string) => need.includes(".");
  switch (variant) {
    case "none":
      return [];
    case "bare *":
      return ["*"];
    case "wildcard":
      return route.needs.map(full);
    case "exact": // the per-API form where the route acts on an API (createApi has none: api.*.create_api is exact)
      return route.needs.map((n) => (literal(n) || n === "create_api" ? full(n) : `api.${apiId}.${n}`));
    case "other API": // the same actions, scoped to another API of the same workspace
      return route.needs.map((n) => full(n).replace(/^(\w+)\.\*\./, `$1.${otherApiId}.`));
  }
}

/** 403 where the table says so, unless the route hides the key behind NOT_FOUND (auth-routes.ts `deniedAs`). */
function expectedStatus(route: AuthRoute, variant: Variant): number {
  if (EXPECTED[variant] === 200) return route.grantedAs ?? 200;
  return { "NOT_FOUND": 404, "NOT_FOUND verdict": 200, none: 403 }[route.deniedAs ?? "none"];
}

/** The refusal of a root key without the route's permissions: the envelope it must be in, exactly. */
function expectDenied(res: Response, route: AuthRoute, label: string): void {
  if (route.deniedAs === "NOT_FOUND verdict") {
    expect(res.body.data, label).toEqual({ valid: false, code: "NOT_FOUND" });
  } else expectErrorEnvelope(res, route.deniedAs ?? "INSUFFICIENT_PERMISSIONS", label);
}

async function recoverableApi(h: Harness, ws: Workspace): Promise<string> {
  const apiId = await h.createApi(ws, "matrix");
  expect((await h.post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, ws.rootKey)).status).toBe(200);
  return apiId;
}

async function recoverableFixture(h: Harness, ws: Workspace): Promise<Fixture> {
  const apiId = await recoverableApi(h, ws);
  const { keyId, key } = await h.createKey(ws, apiId, { prefix: "sk", recoverable: true, ownerId: ownerOf(apiId) });
  const { keyId: rootKeyId } = await h.rootKey(ws, ["api.*.read_key"]);
  // A rate-limit namespace of its own with an override, for the ratelimit rows (deleteOverride deletes it).
  const namespace = `matrix-${apiId}`;
  expect((await h.post("/v2/ratelimit.limit", { namespace, identifier: "u", limit: 1000, duration: 60_000 }, ws.rootKey)).status).toBe(200);
  expect((await h.post("/v2/ratelimit.setOverride", { namespace, identifier: "vip", limit: 5, duration: 60_000 }, ws.rootKey)).status).toBe(200);
  const identityId = (await h.post("/v2/identities.getIdentity", { identity: ownerOf(apiId) }, ws.rootKey)).body.data.id as string;
  const activityId = (await h.get("/v1/activities.listActivities", { type: "CREATE_KEY", limit: "1" }, ws.rootKey)).body.activities[0].activityId as string;
  // An escrow key of its own, for the escrow rows (deleteKey deletes it).
  const escrow = await h.post("/v2/escrow.createKey", { name: `matrix-${apiId}` }, ws.rootKey);
  expect(escrow.status).toBe(200);
  return rbacFixture(h, ws, { apiId, keyId, key, rootKeyId, namespace, identityId, activityId, escrowKeyId: escrow.body.data.escrowKeyId });
}

/**
 * `f` with a permission and a role of its own, for the rows that read, grant, change or delete
 * them. The permissions.* rows get only this (no new recoverable key each): the test vault's
 * keyring tires of several hundred encryptions in one run.
 */
async function rbacFixture(h: Harness, ws: Workspace, f: Fixture): Promise<Fixture> {
  const suffix = randomBytes(6).toString("hex");
  const permission = await h.post("/v2/permissions.createPermission", { name: "matrix", slug: `p.${suffix}` }, ws.rootKey);
  const role = await h.post("/v2/permissions.createRole", { name: `r.${suffix}` }, ws.rootKey);
  // A user holding no root key, for the users.* rows (deleteUser deletes it).
  const user = await h.post("/v2/users.createUser", { name: "matrix" }, ws.rootKey);
  expect([permission.status, role.status, user.status]).toEqual([200, 200, 200]);
  return { ...f, permission: { id: permission.body.data.permissionId, slug: `p.${suffix}` }, role: { id: role.body.data.roleId, name: `r.${suffix}` }, userId: user.body.data.userId };
}

/** `f` with a policy of its own, for the policies.* rows (a fixture each: the workspace holds at most 100). */
async function policyFixture(h: Harness, ws: Workspace, f: Fixture): Promise<Fixture> {
  const created = await h.post("/v2/policies.createPolicy", INERT_POLICY, ws.rootKey);
  expect(created.status).toBe(200);
  return { ...f, policyId: created.body.data.policyId };
}

/** `f` with a portal of its own showing its API, for the portal.* rows (a fixture each: deletePortal deletes it). */
async function portalFixture(h: Harness, ws: Workspace, f: Fixture): Promise<Fixture> {
  const created = await h.post("/v2/portal.createPortal", { name: "matrix", apiIds: [f.apiId] }, ws.rootKey);
  expect(created.status).toBe(200);
  return { ...f, portalId: created.body.data.portalId };
}

forEachDatabase(
  "adversarial 05: permission matrix",
  (h) => {
    let ws: Workspace;
    let f: Fixture;
    let otherApiId: string;
    const fixture = () => recoverableFixture(h(), ws);
    beforeAll(async () => {
      ws = await h().workspace();
      f = await portalFixture(h(), ws, await policyFixture(h(), ws, await fixture()));
      otherApiId = await h().createApi(ws, "other");
    });

    test.each(authRoutes.map((r) => [r.name, r] as const))("%s × {none, exact, wildcard, other API, bare *} matches the table", async (_, route) => {
      const mismatches: string[] = [];
      for (const variant of VARIANTS) {
        const path = route.call(f).path;
        // Rows that need no key of their own: a new rbac fixture (with its own user) is enough.
        const rbacOnly = /^\/v[12]\/(permissions|users|audit)\./.test(path);
        const policyOnly = path.startsWith("/v1/policies.") || path.startsWith("/v2/policies.");
        const portalOnly = /^\/v[12]\/portal\./.test(path);
        const target =
          EXPECTED[variant] !== 200 ? f : rbacOnly ? await rbacFixture(h(), ws, f) : policyOnly ? await policyFixture(h(), ws, f) : portalOnly ? await portalFixture(h(), ws, f) : await fixture();
        const permissions = held(route, variant, target.apiId, otherApiId);
        const rk = await h().rootKey(ws, permissions);
        const before = EXPECTED[variant] === 403 ? await h().snapshot() : null;
        const res = await send(h(), route.call(target), `Bearer ${rk.key}`);
        const label = `${route.name} with ${variant} [${permissions.join(", ")}] → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
        if (res.status !== expectedStatus(route, variant)) mismatches.push(label);
        if (before) {
          expectDenied(res, route, label);
          expect(await h().snapshot(), label).toEqual(before);
        } else if (route.name.includes("keys.verifyKey")) {
          expect((res.body.data ?? res.body).code, label).toBe("VALID");
        } else if (route.name.includes("decrypt")) {
          expect(JSON.stringify(res.body), label).toContain(target.key);
        } else if (route.name.endsWith("purge")) {
          expect(res.body, label).toEqual({ purged: 1 });
        }
      }
      expect(mismatches).toEqual([]);
    });

    test("the table names every operation of the OpenAPI document that needs a root key, with the same permissions", async () => {
      const doc = (await h().call("GET", "/openapi.json")).body;
      const documented = new Map<string, string[]>();
      for (const [path, methods] of Object.entries<Record<string, any>>(doc.paths)) {
        for (const [method, op] of Object.entries<any>(methods)) {
          const ext = op["x-keyhold-permissions"];
          if (!ext || ext.rootKey === "none") continue;
          for (const rule of ext.allOf) {
            const name = `${method.toUpperCase()} ${path}${rule.when ? ` ${rule.when}` : ""}`;
            documented.set(name, rule.anyOf);
          }
        }
      }
      for (const route of authRoutes) {
        const call = route.call(f);
        expect([...documented.keys()].some((k) => k.startsWith(`${call.method} ${call.path}`)), route.name).toBe(true);
      }
      const declaredPaths = new Set(authRoutes.map((r) => `${r.call(f).method} ${r.call(f).path}`));
      for (const name of documented.keys()) expect(declaredPaths.has(name.split(" ").slice(0, 2).join(" ")), name).toBe(true);
    });

    test("updateKey can't make a key recoverable: no ciphertext appears, whatever the body says", async () => {
      const apiId = await h().createApi(ws, "no-back-door");
      await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, ws.rootKey);
      const { keyId } = await h().createKey(ws, apiId);
      const updater = await h().rootKey(ws, ["api.*.update_key"]);
      await h().post("/v1/keys.updateKey", { keyId, recoverable: true, encrypted: "v1.x.y" }, updater.key);
      const got = await h().get("/v1/keys.getKey", { keyId, decrypt: "true" }, ws.rootKey);
      expect(got.status).toBe(200);
      expect(got.body).not.toHaveProperty("plaintext");
    });

  describe("missing permissions", () => {
    test.each(authRoutes.map((r) => [r.name, r] as const))("%s: 403 naming the missing permission", async (_, route) => {
      const missing = route.needs.at(-1)!;
      const nearMiss = await h().rootKey(ws, ALL.filter((p) => p !== full(missing)));
      const before = await h().snapshot();
      const res = await send(h(), route.call(f), `Bearer ${nearMiss.key}`);
      expectDenied(res, route, route.name);
      if (route.deniedAs) return expect(await h().snapshot()).toEqual(before); // nothing to name: the key is hidden
      const action = missing.split(".").at(-1)!;
      const resource = missing.includes(".") ? missing.split(".")[0]! : "api";
      // Either the wildcard form or the one for this very API names it.
      const named = new RegExp(`\\b${resource}\\.(\\*|${f.apiId})\\.${action}\\b`);
      expect(errorMessage(res.body), route.name).toMatch(named);
      expect(await h().snapshot()).toEqual(before);
    });

    test("no escalation through createRootKey", async () => {
      const creator = await h().rootKey(ws, ["rbac.*.create_root_key", "api.*.read_key", `api.${f.apiId}.update_key`]);
      const asCreator = (permissions: string[]) => h().post("/v1/rootKeys.createRootKey", { name: "child", permissions }, creator.key);
      for (const [wanted, refused] of [
        [["api.*.decrypt_key"], "api.*.decrypt_key"],
        [["api.*.read_key", "api.*.update_key"], "api.*.update_key"],
        [["*"], "*"],
        [["rbac.*.delete_root_key"], "rbac.*.delete_root_key"],
        [[`api.${f.apiId}.delete_key`], `api.${f.apiId}.delete_key`],
      ] as const) {
        const res = await asCreator([...wanted]);
        expectErrorEnvelope(res, "FORBIDDEN", wanted.join());
        expect(res.body.error.message).toContain(refused);
      }
      for (const wanted of [["api.*.read_key"], [`api.${f.apiId}.read_key`], [`api.${f.apiId}.update_key`], ["rbac.*.create_root_key"]]) {
        const res = await asCreator(wanted);
        expect(res.status, `${wanted.join()}: ${JSON.stringify(res.body)}`).toBe(200);
      }
    });
  });

    describe("per-API permissions", () => {
    let apiA: Fixture;
    let apiB: Fixture;
    beforeAll(async () => {
      apiA = await fixture();
      apiB = await fixture();
    });

    const as = (key: string) => `Bearer ${key}`;

    test("api.<A>.read_key reads A's keys and nothing of B's", async () => {
      const reader = await h().rootKey(ws, [`api.${apiA.apiId}.read_key`]);
      const listA = await send(h(), get("/v1/apis.listKeys", { apiId: apiA.apiId }), as(reader.key));
      expect(listA.status).toBe(200);
      expect(listA.body.keys.map((k: { id: string }) => k.id)).toEqual([apiA.keyId]);
      const keyA = await send(h(), get("/v1/keys.getKey", { keyId: apiA.keyId }), as(reader.key));
      expect(keyA.body).toMatchObject({ id: apiA.keyId, apiId: apiA.apiId });

      for (const [label, call, permission] of [
        ["list B", get("/v1/apis.listKeys", { apiId: apiB.apiId }), `api.${apiB.apiId}.read_key`],
        ["get B's key", get("/v1/keys.getKey", { keyId: apiB.keyId }), `api.${apiB.apiId}.read_key`],
        ["read A itself", get("/v1/apis.getApi", { apiId: apiA.apiId }), "read_api"],
        ["decrypt A's key", get("/v1/keys.getKey", { keyId: apiA.keyId, decrypt: "true" }), "decrypt_key"],
        ["update A's key", post("/v1/keys.updateKey", { keyId: apiA.keyId, name: "x" }), "update_key"],
        ["create a key in A", post("/v1/keys.createKey", { apiId: apiA.apiId }), "create_key"],
        ["delete A's key", post("/v1/keys.deleteKey", { keyId: apiA.keyId }), "delete_key"],
        ["verify A's key", post("/v1/keys.verifyKey", { key: apiA.key }), "verify_key"],
        ["list root keys", get("/v1/rootKeys.listRootKeys", {}), "rbac.*.read_root_key"],
      ] as const) {
        const res = await send(h(), call, as(reader.key));
        expectErrorEnvelope(res, "INSUFFICIENT_PERMISSIONS", label);
        expect(res.body.error.message, label).toContain(permission);
      }
    });

    test("api.<A>.verify_key verifies A's keys only", async () => {
      const verifier = await h().rootKey(ws, [`api.${apiA.apiId}.verify_key`]);
      const okA = await send(h(), post("/v1/keys.verifyKey", { key: apiA.key }), as(verifier.key));
      expect(okA.body).toMatchObject({ valid: true, code: "VALID", keyId: apiA.keyId });
      const onB = await send(h(), post("/v1/keys.verifyKey", { key: apiB.key }), as(verifier.key));
      expectErrorEnvelope(onB, "INSUFFICIENT_PERMISSIONS");
      expect(onB.body.error.message).toContain(`api.${apiB.apiId}.verify_key`);
    });

    test("a per-API key for one API cannot act on another through its id", async () => {
      const writer = await h().rootKey(ws, [`api.${apiA.apiId}.update_key`, `api.${apiA.apiId}.delete_key`, `api.${apiA.apiId}.delete_api`]);
      const before = await h().snapshot();
      for (const call of [
        post("/v1/keys.updateKey", { keyId: apiB.keyId, name: "x" }),
        post("/v1/keys.updateRemaining", { keyId: apiB.keyId, op: "set", value: 1 }),
        post("/v1/keys.deleteKey", { keyId: apiB.keyId }),
        post("/v1/apis.deleteKeys", { apiId: apiB.apiId }),
        post("/v1/apis.deleteApi", { apiId: apiB.apiId }),
      ]) {
        expectErrorEnvelope(await send(h(), call, as(writer.key)), "INSUFFICIENT_PERMISSIONS", call.path);
      }
      expect(await h().snapshot()).toEqual(before);
      expect((await send(h(), post("/v1/keys.updateKey", { keyId: apiA.keyId, name: "mine" }), as(writer.key))).status).toBe(200);
    });
  });
      test("encrypt_key and decrypt_key matrix: none, wildcard, this API, another API", async () => {
        const ws = await h().workspace();
        const apiId = await recoverableApi(h(), ws);
        const otherApi = await recoverableApi(h(), ws);
        const scopes = {
          none: null,
          wildcard: "*",
          thisApi: apiId,
          otherApi,
        } as const;
        const existing = await h().createKey(ws, apiId, { recoverable: true });
        for (const [name, scope] of Object.entries(scopes)) {
          const extra = scope ? [`api.${scope}.encrypt_key`, `api.${scope}.decrypt_key`] : [];
          const rk = await h().rootKey(ws, ["api.*.create_key", "api.*.read_key", ...extra]);
          const allowed = name === "wildcard" || name === "thisApi";

          const before = await h().snapshot();
          const created = await h().post("/v1/keys.createKey", { apiId, recoverable: true }, rk.key);
          expect(created.status, `create with ${name}`).toBe(allowed ? 200 : 403);
          if (!allowed) {
            expect(created.body.error.code).toBe("INSUFFICIENT_PERMISSIONS");
            expect(created.body.error.message).toContain(`api.${apiId}.encrypt_key`);
            expect(await h().snapshot()).toEqual(before);
          }

          const read = await h().get("/v1/keys.getKey", { keyId: existing.keyId, decrypt: "true" }, rk.key);
          expect(read.status, `decrypt with ${name}`).toBe(allowed ? 200 : 403);
          if (allowed) expect(read.body.plaintext).toBe(existing.key);
          else expect(read.body.error.message).toContain(`api.${apiId}.decrypt_key`);
          const list = await h().get("/v1/apis.listKeys", { apiId, decrypt: "true" }, rk.key);
          expect(list.status, `list-decrypt with ${name}`).toBe(allowed ? 200 : 403);
          // Without decrypt=true, read_key alone is enough and no plaintext is returned.
          const readOnly = await h().get("/v1/keys.getKey", { keyId: existing.keyId }, rk.key);
          expect(readOnly.status).toBe(200);
          expect(readOnly.body).not.toHaveProperty("plaintext");
        }
        // decrypt_key without read_key is not enough.
        const decryptOnly = await h().rootKey(ws, ["api.*.decrypt_key"]);
        expect((await h().get("/v1/keys.getKey", { keyId: existing.keyId, decrypt: "true" }, decryptOnly.key)).status).toBe(403);
      });

  },
  { vault: true },
);
