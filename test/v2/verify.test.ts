import { beforeAll, expect, test } from "vitest";
import type { Unkey } from "unkey-api-v2";
import * as errors from "unkey-api-v2/models/errors";
import { authenticateRootKey } from "../../src/auth/root-key-auth.ts";
import { generateKey } from "../../src/keys/key-format.ts";
import type { RatelimitSetting } from "../../src/keys/key-ratelimits.ts";
import { updateKey } from "../../src/keys/update-key.ts";
import { countCodes, onlyPostgres, roomyWindow } from "../adversarial/limits-helpers.ts";
import { forEachDatabase } from "../harness.ts";
import { useV2Sdk } from "./sdk-context.ts";

forEachDatabase("v2 keys.verifyKey through @unkey/api 2.5.1", (h) => {
  const v2 = useV2Sdk(h);
  let apiA: string;
  let apiB: string;
  /** A root key that may verify keys of apiA only. */
  let onlyA: Unkey;

  beforeAll(async () => {
    const { ws, sdk } = v2();
    apiA = await h().createApi(ws, "a");
    apiB = await h().createApi(ws, "b");
    onlyA = sdk((await h().rootKey(ws, [`api.${apiA}.verify_key`])).key);
  });

  /** A key of apiA made through v1's createKey, with named v2 limits set through the updateKey service. */
  async function key(body: Record<string, unknown> = {}, ratelimits?: RatelimitSetting[], apiId = apiA) {
    const { ws } = v2();
    const made = await h().createKey(ws, apiId, body);
    if (ratelimits) await updateKey(h().db, await authenticateRootKey(h().db, ws.rootKey), made.keyId, { ratelimits });
    return made;
  }

  const verify = (request: Parameters<Unkey["keys"]["verifyKey"]>[0], as: Unkey = v2().unkey) => as.keys.verifyKey(request);

  test("VALID: the key's data in v2's shape, credits spent", async () => {
    const expires = Date.now() + 3_600_000;
    const { keyId, key: plaintext } = await key({ name: "acme", meta: { plan: "pro" }, expires, remaining: 5, permissions: ["docs.read"], roles: ["reader"] });
    const res = await verify({ key: plaintext });
    expect(res.meta.requestId).toMatch(/^req_/);
    expect(res.data).toEqual({
      valid: true,
      code: "VALID",
      keyId,
      name: "acme",
      meta: { plan: "pro" },
      expires,
      credits: 4,
      enabled: true,
      permissions: ["docs.read"],
      roles: ["reader"],
    });
    // Only v2's fields: none of v1's (ownerId, environment, its one `ratelimit`, requestId in the body).
    const raw = await h().post("/v2/keys.verifyKey", { key: plaintext }, v2().ws.rootKey);
    expect(Object.keys(raw.body.data).sort()).toEqual(["code", "credits", "enabled", "expires", "keyId", "meta", "name", "permissions", "roles", "valid"]);
    expect(raw.body.data.credits).toBe(3);
  });

  test("NOT_FOUND: a missing key, another workspace's key and a key in an API the root key may not verify answer the same body", async () => {
    const other = await h().workspace();
    const foreign = await h().createKey(other, await h().createApi(other));
    const inB = await key({}, undefined, apiB);
    const inA = await key();
    const rootKey = (await h().rootKey(v2().ws, [`api.${apiA}.verify_key`])).key;
    const bodies = [];
    for (const k of [generateKey({ prefix: "sk" }), foreign.key, inB.key]) {
      expect((await verify({ key: k }, onlyA)).data).toEqual({ valid: false, code: "NOT_FOUND" });
      const raw = await h().post("/v2/keys.verifyKey", { key: k }, rootKey);
      expect(raw.status).toBe(200);
      bodies.push({ ...raw.body, meta: { ...raw.body.meta, requestId: "same" } });
    }
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    // The same root key verifies its own API's keys; the workspace's `*` key verifies B's.
    expect((await verify({ key: inA.key }, onlyA)).data.code).toBe("VALID");
    expect((await verify({ key: inB.key })).data.code).toBe("VALID");
    // A malformed key too; and a root key with no verify permission at all gets NOT_FOUND, never 403.
    expect((await verify({ key: "sk_notakey" })).data).toEqual({ valid: false, code: "NOT_FOUND" });
    const reader = v2().sdk((await h().rootKey(v2().ws, ["api.*.read_key"])).key);
    expect((await verify({ key: inA.key }, reader)).data).toEqual({ valid: false, code: "NOT_FOUND" });
  });

  test("DISABLED and EXPIRED, with the key's id", async () => {
    const disabled = await key({ enabled: false });
    expect((await verify({ key: disabled.key })).data).toMatchObject({ valid: false, code: "DISABLED", keyId: disabled.keyId, enabled: false });
    const expires = Date.now() + 1000;
    const expiring = await key({ expires });
    expect((await verify({ key: expiring.key })).data.code).toBe("VALID");
    while (Date.now() <= expires) await new Promise((r) => setTimeout(r, expires - Date.now() + 5));
    expect((await verify({ key: expiring.key })).data).toMatchObject({ valid: false, code: "EXPIRED", keyId: expiring.keyId, expires });
  });

  test("USAGE_EXCEEDED: credits.cost spends several or none; a cost above the balance spends nothing and reports the balance", async () => {
    const { ws } = v2();
    const { keyId, key: k } = await key({ remaining: 5 });
    expect((await verify({ key: k, credits: { cost: 15 } })).data).toMatchObject({ valid: false, code: "USAGE_EXCEEDED", credits: 5 });
    expect((await verify({ key: k })).data).toMatchObject({ valid: true, credits: 4 });
    expect((await verify({ key: k, credits: { cost: 4 } })).data).toMatchObject({ valid: true, credits: 0 });
    expect((await verify({ key: k, credits: { cost: 0 } })).data).toMatchObject({ valid: true, code: "VALID", credits: 0 });
    expect((await verify({ key: k })).data).toMatchObject({ valid: false, code: "USAGE_EXCEEDED", keyId, credits: 0 });
    expect((await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body.remaining).toBe(0);
  });

  test("RATE_LIMITED by an auto-applied named limit: every verify reports it with its stored id", async () => {
    const duration = roomyWindow();
    const { key: k } = await key({}, [{ name: "requests", limit: 2, duration, autoApply: true }]);
    const first = (await verify({ key: k })).data;
    expect(first.ratelimits).toEqual([{ exceeded: false, id: expect.stringMatching(/^rl_/), name: "requests", limit: 2, duration, reset: expect.any(Number), remaining: 1, autoApply: true }]);
    expect(first.ratelimits![0]!.reset % duration).toBe(0);
    expect((await verify({ key: k })).data).toMatchObject({ valid: true, ratelimits: [{ remaining: 0, exceeded: false }] });
    expect((await verify({ key: k })).data).toMatchObject({ valid: false, code: "RATE_LIMITED", ratelimits: [{ name: "requests", remaining: 0, exceeded: true, id: first.ratelimits![0]!.id }] });
  });

  test("RATE_LIMITED by a limit requested by name, at the request's cost; not checked when not named", async () => {
    const { key: k } = await key({}, [{ name: "tokens", limit: 10, duration: roomyWindow(), autoApply: false }]);
    expect((await verify({ key: k })).data).not.toHaveProperty("ratelimits");
    expect((await verify({ key: k, ratelimits: [{ name: "tokens", cost: 6 }] })).data).toMatchObject({ valid: true, ratelimits: [{ name: "tokens", remaining: 4, autoApply: false, exceeded: false }] });
    // A refusal takes nothing and says what is left: a smaller cost still passes.
    expect((await verify({ key: k, ratelimits: [{ name: "tokens", cost: 6 }] })).data).toMatchObject({ valid: false, code: "RATE_LIMITED", ratelimits: [{ remaining: 4, exceeded: true }] });
    expect((await verify({ key: k, ratelimits: [{ name: "tokens", cost: 4 }] })).data).toMatchObject({ valid: true, ratelimits: [{ remaining: 0 }] });
  });

  test("RATE_LIMITED by an inline limit (Unkey's override): no stored id, not auto-applied; it overrides the key's own limit of that name", async () => {
    const duration = roomyWindow();
    const { key: k } = await key({}, [{ name: "requests", limit: 100, duration, autoApply: true }]);
    const inline = [{ name: "requests", limit: 1, duration }];
    expect((await verify({ key: k, ratelimits: inline })).data.ratelimits).toEqual([
      { exceeded: false, id: "", name: "requests", limit: 1, duration, reset: expect.any(Number), remaining: 0, autoApply: false },
    ]);
    expect((await verify({ key: k, ratelimits: inline })).data).toMatchObject({ code: "RATE_LIMITED", ratelimits: [{ id: "", exceeded: true }] });
  });

  test("every checked limit is reported; a refusal by one gives back what the others took and spends no credits", async () => {
    const { ws } = v2();
    const duration = roomyWindow();
    const { keyId, key: k } = await key({ remaining: 10 }, [{ name: "requests", limit: 5, duration, autoApply: true }]);
    const burst = [{ name: "burst", limit: 1, duration }];
    const first = (await verify({ key: k, ratelimits: burst })).data;
    expect(first).toMatchObject({ valid: true, credits: 9 });
    expect(first.ratelimits?.map((r) => [r.name, r.remaining, r.exceeded])).toEqual([["burst", 0, false], ["requests", 4, false]]);
    const refused = (await verify({ key: k, ratelimits: burst })).data;
    expect(refused).toMatchObject({ valid: false, code: "RATE_LIMITED" });
    expect(refused).not.toHaveProperty("credits");
    expect(refused.ratelimits?.map((r) => [r.name, r.remaining, r.exceeded])).toEqual([["burst", 0, true], ["requests", 4, false]]);
    // The refused verify's slot of "requests" was rolled back, and no credit was spent.
    expect((await verify({ key: k })).data).toMatchObject({ valid: true, credits: 8, ratelimits: [{ name: "requests", remaining: 3 }] });
    expect((await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body.remaining).toBe(8);
  });

  test("a requested limit the key does not have, without limit and duration, is a 412 (as Unkey) and spends nothing; v1 ignores it", async () => {
    const { ws } = v2();
    const { keyId, key: k } = await key({ remaining: 3 }, [{ name: "requests", limit: 5, duration: roomyWindow(), autoApply: true }]);
    const refused = await verify({ key: k, ratelimits: [{ name: "nope" }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(errors.APIError);
    expect((refused as errors.APIError).statusCode).toBe(412);
    const body = JSON.parse((refused as errors.APIError).body);
    expect(body.error).toMatchObject({ status: 412, title: "Precondition Failed", detail: expect.stringContaining('"nope"') });
    expect(body.meta.requestId).toMatch(/^req_/);
    expect((await h().get("/v1/keys.getKey", { keyId }, ws.rootKey)).body.remaining).toBe(3);
    expect((await verify({ key: k })).data).toMatchObject({ credits: 2, ratelimits: [{ remaining: 4 }] });
    expect((await h().verify(k, { ratelimits: [{ name: "nope" }] })).body).toMatchObject({ valid: true, remaining: 1 });
    // Refusals before the limits come first, as in Unkey: a disabled key is DISABLED.
    const disabled = await key({ enabled: false });
    expect((await verify({ key: disabled.key, ratelimits: [{ name: "nope" }] })).data.code).toBe("DISABLED");
  });

  test("INSUFFICIENT_PERMISSIONS with a string query: AND binds tighter than OR, parentheses group", async () => {
    const ac = await key({ permissions: ["a", "c"] });
    const a = await key({ permissions: ["a"] });
    const c = await key({ permissions: ["c"] });
    expect((await verify({ key: ac.key, permissions: "a AND (b OR c)" })).data).toMatchObject({ valid: true, code: "VALID", permissions: ["a", "c"] });
    expect((await verify({ key: a.key, permissions: "a AND (b OR c)" })).data).toMatchObject({ valid: false, code: "INSUFFICIENT_PERMISSIONS", keyId: a.keyId, permissions: ["a"] });
    expect((await verify({ key: c.key, permissions: "a AND (b OR c)" })).data.code).toBe("INSUFFICIENT_PERMISSIONS");
    expect((await verify({ key: c.key, permissions: "a and b or c" })).data.code).toBe("VALID");
    expect((await verify({ key: a.key, permissions: "a" })).data.code).toBe("VALID");
  });

  test("bad query syntax, too many tags or a bad cost: 400 BadRequestErrorResponse naming the field and where it failed", async () => {
    const { keyId, key: k } = await key({ remaining: 2 });
    const bad = await verify({ key: k, permissions: "a AND OR b" }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(errors.BadRequestErrorResponse);
    const error = (bad as errors.BadRequestErrorResponse).data$.error;
    expect(error.status).toBe(400);
    expect(error.errors).toEqual([{ location: "body.permissions", message: expect.stringContaining("syntax error at position 6: unexpected 'OR'") }]);
    expect(error.detail).toContain("permissions");
    for (const permissions of ["(a", "a b", "a && b", "", "x".repeat(1001), `${"(".repeat(9)}a${")".repeat(9)}`]) {
      const res = await h().post("/v2/keys.verifyKey", { key: k, permissions }, v2().ws.rootKey);
      expect(res.status, permissions).toBe(400);
      expect(res.body.error.errors[0].location).toBe("body.permissions");
    }
    const tags = await h().post("/v2/keys.verifyKey", { key: k, tags: Array.from({ length: 101 }, (_, i) => `t${i}`) }, v2().ws.rootKey);
    expect(tags.status).toBe(400);
    expect(tags.body.error.errors[0].location).toBe("body.tags");
    const cost = await h().post("/v2/keys.verifyKey", { key: k, credits: { cost: -1 } }, v2().ws.rootKey);
    expect(cost.body.error.errors[0].location).toBe("body.credits.cost");
    // Nothing was spent by the refused requests.
    expect((await h().get("/v1/keys.getKey", { keyId }, v2().ws.rootKey)).body.remaining).toBe(2);
  });

  test("401 UnauthorizedErrorResponse without a valid root key, even for a valid key", async () => {
    const { key: k } = await key();
    await expect(verify({ key: k }, v2().sdk("kh_root_nope"))).rejects.toBeInstanceOf(errors.UnauthorizedErrorResponse);
    await expect(verify({ key: k }, v2().sdk("public"))).rejects.toBeInstanceOf(errors.UnauthorizedErrorResponse);
    const none = await h().post("/v2/keys.verifyKey", { key: k });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ status: 401, title: "Unauthorized" });
  });

  test("tags and migrationId are accepted; tags go to the request log with the verdict", async () => {
    const { keyId, key: k } = await key();
    const lines: Record<string, any>[] = [];
    const { default: pino } = await import("pino");
    const previous = h().deps.logger;
    h().deps.logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    try {
      const res = await verify({ key: k, tags: ["endpoint=/users", "region=eu"], migrationId: "m_1" });
      expect(res.data.code).toBe("VALID");
      const line = lines.find((l) => l.requestId === res.meta.requestId);
      expect(line?.verification).toEqual({ code: "VALID", keyId, tags: ["endpoint=/users", "region=eu"] });
    } finally {
      h().deps.logger = previous;
    }
  });

  test("concurrently: two limits checked together stay exact, and opposite naming orders do not deadlock", async ({ skip }) => {
    skip(onlyPostgres(h()), "races are real on PostgreSQL, which is configured");
    const duration = roomyWindow();
    const { key: k } = await key({}, [
      { name: "x", limit: 10, duration, autoApply: false },
      { name: "y", limit: 100, duration, autoApply: false },
    ]);
    const orders = [[{ name: "x" }, { name: "y" }], [{ name: "y" }, { name: "x" }]];
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => verify({ key: k, ratelimits: orders[i % 2] })));
    expect(countCodes(results.map((r) => ({ body: r.data })))).toEqual({ VALID: 10, RATE_LIMITED: 50 });
    // Only the 10 admitted verifies hold a slot of "y": the refused ones gave theirs back.
    expect((await verify({ key: k, ratelimits: [{ name: "y" }] })).data.ratelimits).toMatchObject([{ name: "y", remaining: 89 }]);
  });
});
