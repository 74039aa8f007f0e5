import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { MAX_QUERY_DEPTH, MAX_QUERY_NODES, type PermissionQuery, evaluatePermissionQuery, isPermissionQuery } from "./permission-query.ts";
import { MAX_QUERY_STRING_LENGTH, PermissionQuerySyntaxError, parsePermissionQuery } from "./permission-query-string.ts";

const parse = parsePermissionQuery;

/** The failure of `input`: where and why. */
function failure(input: string): { position: number; reason: string } {
  try {
    parse(input);
  } catch (error) {
    if (error instanceof PermissionQuerySyntaxError) return { position: error.position, reason: error.reason };
    throw error;
  }
  throw new Error(`${JSON.stringify(input)} parsed`);
}

describe("parsePermissionQuery", () => {
  test("a single name, with every character a name may hold", () => {
    expect(parse("documents.read")).toBe("documents.read");
    expect(parse("api.*.read_key")).toBe("api.*.read_key");
    expect(parse("system:admin")).toBe("system:admin");
    expect(parse("/api/v1/users-list")).toBe("/api/v1/users-list");
    expect(parse("A9_.-*:/z")).toBe("A9_.-*:/z");
  });

  test("AND binds tighter than OR, on either side", () => {
    expect(parse("a OR b AND c")).toEqual({ or: ["a", { and: ["b", "c"] }] });
    expect(parse("a AND b OR c")).toEqual({ or: [{ and: ["a", "b"] }, "c"] });
    expect(parse("a AND b OR c AND d")).toEqual({ or: [{ and: ["a", "b"] }, { and: ["c", "d"] }] });
  });

  test("a chain of one operator is one node; parentheses override precedence and keep their own node", () => {
    expect(parse("a AND b AND c")).toEqual({ and: ["a", "b", "c"] });
    expect(parse("a OR b OR c OR d")).toEqual({ or: ["a", "b", "c", "d"] });
    expect(parse("a AND (b OR c)")).toEqual({ and: ["a", { or: ["b", "c"] }] });
    expect(parse("(a OR b) AND c")).toEqual({ and: [{ or: ["a", "b"] }, "c"] });
    expect(parse("(a AND b) AND c")).toEqual({ and: [{ and: ["a", "b"] }, "c"] });
    expect(parse("((a))")).toBe("a");
    expect(parse("(a AND (b OR (c AND d)))")).toEqual({ and: ["a", { or: ["b", { and: ["c", "d"] }] }] });
  });

  test("operators in any case, as whole words only", () => {
    expect(parse("a and b Or c")).toEqual({ or: [{ and: ["a", "b"] }, "c"] });
    expect(parse("a aNd b")).toEqual({ and: ["a", "b"] });
    // Part of a longer name, AND and OR are letters like any other.
    expect(parse("ANDROID AND ORACLE")).toEqual({ and: ["ANDROID", "ORACLE"] });
    expect(parse("band OR order.read")).toEqual({ or: ["band", "order.read"] });
    expect(parse("and.read")).toBe("and.read");
  });

  test("whitespace: spaces, tabs and line breaks anywhere between tokens, none needed around parentheses", () => {
    expect(parse("  a\tAND\n(b\r\nOR c)  ")).toEqual({ and: ["a", { or: ["b", "c"] }] });
    expect(parse("(a)AND(b)")).toEqual({ and: ["a", "b"] });
    expect(parse("a AND(b OR c)")).toEqual({ and: ["a", { or: ["b", "c"] }] });
  });

  test("bad syntax fails with the position and a reason", () => {
    expect(failure("")).toMatchObject({ position: 0, reason: expect.stringContaining("empty") });
    expect(failure("   ")).toMatchObject({ position: 0, reason: expect.stringContaining("empty") });
    expect(failure("AND a")).toMatchObject({ position: 0, reason: expect.stringContaining("unexpected 'AND'") });
    expect(failure("a AND")).toMatchObject({ position: 5, reason: expect.stringContaining("ends early") });
    expect(failure("a AND OR b")).toMatchObject({ position: 6, reason: expect.stringContaining("unexpected 'OR'") });
    expect(failure("a b")).toMatchObject({ position: 2, reason: expect.stringContaining("expected AND or OR") });
    expect(failure("(a AND b")).toMatchObject({ position: 8, reason: expect.stringContaining("close the '(' at position 0") });
    expect(failure("a AND b)")).toMatchObject({ position: 7, reason: expect.stringContaining("')' without its '('") });
    expect(failure("a AND ()")).toMatchObject({ position: 7, reason: expect.stringContaining("empty parentheses") });
    expect(failure("a AND )")).toMatchObject({ position: 6, reason: expect.stringContaining("unexpected ')'") });
    expect(failure("(a)(b)")).toMatchObject({ position: 3 });
    expect(failure("a && b")).toMatchObject({ position: 2, reason: expect.stringContaining('unexpected character "&"') });
    expect(failure("docs.read AND dökümanlar")).toMatchObject({ position: 15 });
    expect(failure('"a"')).toMatchObject({ position: 0 });
  });

  test("the message says where it failed", () => {
    expect(() => parse("a AND OR b")).toThrow("syntax error at position 6: unexpected 'OR'; expected a permission name or '(' (AND and OR go between two names or groups)");
  });

  test("length: at most 1000 characters; a name at most 512", () => {
    const long = Array.from({ length: 100 }, (_, i) => `p${String(i).padStart(5, "0")}`).join(" OR "); // 100·6 + 99·4 = 996
    expect(long.length).toBeLessThanOrEqual(MAX_QUERY_STRING_LENGTH);
    expect(parse(long)).toMatchObject({ or: expect.any(Array) });
    expect(failure(`${long}    x`)).toMatchObject({ position: MAX_QUERY_STRING_LENGTH, reason: expect.stringContaining("longer than 1000") });
    expect(parse("n".repeat(512))).toBe("n".repeat(512));
    expect(failure(`a OR ${"n".repeat(513)}`)).toMatchObject({ position: 5, reason: expect.stringContaining("longer than 512") });
  });

  test("depth: a tree of 8 levels parses, 9 do not; parentheses nest at most 8 deep", () => {
    // Alternating operators need a parenthesis per level: a AND (b OR (c AND (…))).
    const nested = (levels: number): string => (levels === 1 ? "x" : `x${levels} ${levels % 2 ? "AND" : "OR"} (${nested(levels - 1)})`);
    const eight = parse(nested(MAX_QUERY_DEPTH));
    expect(isPermissionQuery(eight)).toBe(true);
    expect(failure(nested(MAX_QUERY_DEPTH + 1)).reason).toContain("nested 9 levels deep; at most 8");
    expect(parse(`${"(".repeat(8)}a${")".repeat(8)}`)).toBe("a");
    expect(failure(`${"(".repeat(9)}a${")".repeat(9)}`)).toMatchObject({ position: 8, reason: expect.stringContaining("nested more than 8 deep") });
    // Far deeper than the bound fails at the bound, without recursing further.
    expect(failure(`${"(".repeat(450)}a${")".repeat(450)}`).position).toBe(8);
  });

  test("nodes: at most 256 names and operators", () => {
    // n pairs `a AND b` joined by OR: 3n + 1 nodes (n AND nodes, 2n names, one OR), in under 1000 characters.
    const pairs = (n: number) => Array.from({ length: n }, () => "a AND b").join(" OR ");
    expect(pairs(85).length).toBeLessThan(MAX_QUERY_STRING_LENGTH);
    expect(parse(pairs(85))).toMatchObject({ or: expect.any(Array) }); // 256 nodes
    expect(failure(pairs(86)).reason).toContain(`more than ${MAX_QUERY_NODES} names and operators`);
  });

  test("evaluated by the same function as v1's JSON form", () => {
    const held = new Set(["a", "c"]);
    expect(evaluatePermissionQuery(parse("a AND (b OR c)"), held)).toBe(true);
    expect(evaluatePermissionQuery(parse("a AND b OR c"), held)).toBe(true);
    expect(evaluatePermissionQuery(parse("a AND b"), held)).toBe(false);
    expect(evaluatePermissionQuery(parse("b OR (c AND d)"), held)).toBe(false);
  });
});

describe("parsePermissionQuery, property-based", () => {
  const name = fc.stringMatching(/^[A-Za-z0-9._\-*:/]{1,12}$/).filter((s) => !["AND", "OR"].includes(s.toUpperCase()));
  /** Canonical trees: every operator has at least two operands (one operand is just that operand). */
  const tree = fc.letrec<{ node: PermissionQuery }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      name,
      fc.record({ and: fc.array(tie("node"), { minLength: 2, maxLength: 4 }) }),
      fc.record({ or: fc.array(tie("node"), { minLength: 2, maxLength: 4 }) }),
    ),
  })).node.filter((q) => isPermissionQuery(q));
  const spaces = [" ", "  ", "\t", "\n", " \r\n "];
  const keywords = { and: ["and", "AND", "And", "aNd"], or: ["or", "OR", "Or", "oR"] };

  /** Every operand group in parentheses, with random spacing and keyword case drawn from `g`. */
  function print(q: PermissionQuery, g: fc.GeneratorValue): string {
    if (typeof q === "string") return q;
    const [op, list] = "and" in q ? (["and", q.and] as const) : (["or", q.or] as const);
    const space = () => g(fc.constantFrom, ...spaces);
    const parts = list.map((child) => (typeof child === "string" ? child : `(${space()}${print(child, g)}${space()})`));
    return parts.join(`${space()}${g(fc.constantFrom, ...keywords[op])}${space()}`);
  }

  test("printing a random tree and parsing it back gives the same tree", () => {
    fc.assert(
      fc.property(tree, fc.gen(), (q, g) => {
        const text = print(q, g);
        fc.pre(text.length <= MAX_QUERY_STRING_LENGTH);
        expect(parse(text)).toEqual(q);
      }),
      { numRuns: 500 },
    );
  });

  test("any string either parses to a valid tree or fails with a PermissionQuerySyntaxError inside the input", () => {
    const alphabet = fc.constantFrom("a", "b", ".", "*", " ", "(", ")", "AND", "OR", "and", "&", "|", "\t", "ö");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }).map((parts) => parts.join("")), (input) => {
        try {
          expect(isPermissionQuery(parse(input))).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(PermissionQuerySyntaxError);
          const { position } = error as PermissionQuerySyntaxError;
          expect(position).toBeGreaterThanOrEqual(0);
          expect(position).toBeLessThanOrEqual(input.length);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
