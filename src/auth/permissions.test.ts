import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { apiPermission, grants, hasPermission, isValidPermission } from "./permissions.ts";

/**
 * Small alphabets on purpose: random permissions then collide often enough that the
 * "grants" relation is exercised in every direction, not only on unrelated strings.
 */
const resource = fc.constantFrom("api", "rbac", "ratelimit", "identity");
const action = fc.constantFrom("read_key", "create_key", "decrypt_key", "read_api", "create_root_key");
const concreteId = fc.constantFrom("api_1", "api_2", "API_3", "x", "rk_9");
const idSlot = fc.oneof(concreteId, fc.constant("*"));
const scoped = fc.tuple(resource, idSlot, action).map(([r, i, a]) => `${r}.${i}.${a}`);
/** Any valid permission, the bare `*` included. */
const permission = fc.oneof({ weight: 9, arbitrary: scoped }, { weight: 1, arbitrary: fc.constant("*") });
const permissionSet = fc.array(permission, { maxLength: 6 });

/** Random strings from the permission grammar's own characters, to find matcher edge cases. */
const grammarChar = fc.constantFrom(..."ab_*.AZ09");
const grammarString = fc.string({ unit: grammarChar, maxLength: 14 });

describe("grants", () => {
  test("table", () => {
    const cases: [held: string, required: string, expected: boolean][] = [
      ["*", "api.api_1.read_key", true],
      ["*", "rbac.*.create_root_key", true],
      ["api.*.read_key", "api.api_1.read_key", true],
      ["api.*.read_key", "api.*.read_key", true],
      ["api.api_1.read_key", "api.api_1.read_key", true],
      ["api.api_1.read_key", "api.api_2.read_key", false],
      ["api.api_1.read_key", "api.*.read_key", false], // one API never covers all of them
      ["api.*.read_key", "api.api_1.decrypt_key", false],
      ["api.*.read_key", "rbac.api_1.read_key", false],
      ["api.*.read_key", "api.api_1.read_key_x", false],
      ["api.*.read", "api.api_1.read_key", false],
      ["api.*.*", "api.api_1.read_key", false], // no wildcard in the action
      ["*.*.read_key", "api.api_1.read_key", false], // no wildcard in the resource
      ["*.api_1.read_key", "api.api_1.read_key", false],
      ["api.*", "api.api_1", false],
      ["api.*.read_key", "api.a.b.read_key", false], // an id with a dot is no id
      ["api.*.read_key", "api..read_key", false],
      ["", "", true], // identical strings; "" is never a valid permission to hold (below)
      ["api.*.read_key", "", false],
      ["API.*.read_key", "api.api_1.read_key", false], // case matters
    ];
    for (const [held, required, expected] of cases) {
      expect(grants(held, required), `${held} ⊇ ${required}`).toBe(expected);
    }
  });

  test("`*` grants every permission", () => {
    fc.assert(fc.property(permission, (p) => grants("*", p)));
    fc.assert(fc.property(fc.string(), (s) => grants("*", s)));
  });

  test("every permission grants itself", () => {
    fc.assert(fc.property(permission, (p) => grants(p, p)));
  });

  test("an id wildcard matches any id, but never another resource or action", () => {
    fc.assert(
      fc.property(resource, action, resource, concreteId, action, (r, a, r2, id, a2) => {
        expect(grants(`${r}.*.${a}`, `${r2}.${id}.${a2}`)).toBe(r === r2 && a === a2);
        expect(grants(`${r}.*.${a}`, `${r2}.*.${a2}`)).toBe(r === r2 && a === a2);
      }),
    );
  });

  test("a concrete id grants exactly itself", () => {
    fc.assert(
      fc.property(resource, concreteId, action, permission, (r, id, a, required) => {
        expect(grants(`${r}.${id}.${a}`, required)).toBe(required === `${r}.${id}.${a}`);
      }),
    );
  });

  test("no wildcard in the resource or action slot", () => {
    fc.assert(
      fc.property(resource, idSlot, action, concreteId, (r, id, a, reqId) => {
        expect(grants(`*.${id}.${a}`, `${r}.${reqId}.${a}`)).toBe(false);
        expect(grants(`${r}.${id}.*`, `${r}.${reqId}.${a}`)).toBe(false);
        expect(grants(`*.*.*`, `${r}.${reqId}.${a}`)).toBe(false);
        expect(isValidPermission(`*.${id}.${a}`)).toBe(false);
        expect(isValidPermission(`${r}.${id}.*`)).toBe(false);
      }),
    );
  });

  test("grants is transitive (so delegated coverage never widens)", () => {
    fc.assert(
      fc.property(permission, permission, permission, (a, b, c) => {
        if (grants(a, b) && grants(b, c)) expect(grants(a, c)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
    // Also over arbitrary strings of the grammar's characters, not only valid permissions.
    fc.assert(
      fc.property(grammarString, grammarString, grammarString, (a, b, c) => {
        if (grants(a, b) && grants(b, c)) expect(grants(a, c)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  test("only a wildcard-free permission can be granted by a concrete one", () => {
    fc.assert(
      fc.property(grammarString, grammarString, (held, required) => {
        if (held !== "*" && !held.split(".")[1]?.includes("*") && grants(held, required)) {
          expect(required).toBe(held);
        }
      }),
      { numRuns: 20_000 },
    );
  });
});

describe("hasPermission", () => {
  test("is `some` over grants", () => {
    fc.assert(
      fc.property(permissionSet, permission, (held, required) => {
        expect(hasPermission(held, required)).toBe(held.some((p) => grants(p, required)));
      }),
    );
  });

  test("nothing held grants nothing", () => {
    fc.assert(fc.property(permission, (required) => !hasPermission([], required)));
  });

  test("no escalation: a key whose every permission is covered by the creator's grants nothing the creator lacks", () => {
    // createRootKey's rule is: every wanted permission w has some held h with grants(h, w).
    fc.assert(
      fc.property(permissionSet, permissionSet, permission, (creator, wanted, required) => {
        const covered = wanted.every((w) => creator.some((h) => grants(h, w)));
        if (covered && hasPermission(wanted, required)) expect(hasPermission(creator, required)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  test("a per-API permission covers that API's actions and no other API's", () => {
    fc.assert(
      fc.property(concreteId, concreteId, action, (a, b, act) => {
        const held = [apiPermission(a, "read_key")];
        expect(hasPermission(held, apiPermission(a, "read_key"))).toBe(true);
        expect(hasPermission(held, apiPermission(b, "read_key"))).toBe(a === b);
        expect(hasPermission(held, `api.${a}.${act}`)).toBe(act === "read_key");
        expect(hasPermission(held, "api.*.read_key")).toBe(false);
      }),
    );
  });
});

describe("isValidPermission", () => {
  test("accepts the grammar", () => {
    fc.assert(fc.property(permission, (p) => isValidPermission(p)));
    for (const p of ["api.*.create_key", "api.api_123.decrypt_key", "rbac.*.create_root_key", "*"]) {
      expect(isValidPermission(p)).toBe(true);
    }
  });

  test("rejects everything else", () => {
    for (const p of ["", "**", "api", "api.*", "api.*.", ".*.read_key", "api..read_key", "api.*.read_key.x", "api.a-b.read_key", " api.*.read_key", "api.*.read_key\n", "API.*.read_key", "api.*.Read_key", `api.${"a".repeat(130)}.read_key`]) {
      expect(isValidPermission(p), JSON.stringify(p)).toBe(false);
    }
  });

  test("a valid non-`*` permission has exactly three parts and a wildcard only in the id", () => {
    fc.assert(
      fc.property(grammarString, (s) => {
        if (!isValidPermission(s) || s === "*") return;
        const parts = s.split(".");
        expect(parts).toHaveLength(3);
        expect(parts[0]).not.toContain("*");
        expect(parts[2]).not.toContain("*");
        expect(parts[1] === "*" || !parts[1]!.includes("*")).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
});
