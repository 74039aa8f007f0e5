import { describe, expect, test } from "vitest";
import { matchesWildcard } from "./wildcard.ts";

/** Unkey's rule: `*` is any run of characters (not across a line break), everything else is itself, the whole identifier must match. */
describe("override wildcards", () => {
  test.each([
    ["test@gmail.com", "*@gmail.com", true],
    ["test@yahoo.com", "*@gmail.com", false],
    ["hello world", "hello*", true],
    ["hello world", "*world", true],
    ["hello world", "h*d", true],
    ["hello world", "h*x", false],
    ["premium_", "premium_*", true],
    ["premium", "premium_*", false],
    ["abc", "*", true],
    ["", "*", true],
    ["abc", "a**c", true],
    ["a.c", "a.c", true],
    ["abc", "a.c", false], // `.` is a character, not "any"
    ["a+c", "a+c", true],
    ["aac", "a+c", false],
    ["(x)", "(*)", true],
    ["[x]", "[*]", true],
    ["x\\y", "x\\*", true],
    ["ab\ncd", "ab*", false], // as Unkey's regular expression: `.*` stops at a line break
    ["ab\ncd", "ab\n*", true],
    ["ümlaut-ß", "ü*ß", true],
    ["😀x😀", "😀*😀", true],
    ["mississippi", "*sip*", true],
    ["mississippi", "m*iss*ppi", true],
    ["mississippi", "m*iss*ppx", false],
  ])("%j against %j → %s", (identifier, pattern, expected) => {
    expect(matchesWildcard(identifier, pattern)).toBe(expected);
  });

  test("a pathological pattern costs what any pattern of its size costs, not exponential backtracking", () => {
    const identifier = "a".repeat(512);
    const time = (pattern: string) => {
      const started = performance.now();
      for (let i = 0; i < 20; i++) expect(matchesWildcard(identifier, pattern)).toBe(false);
      return performance.now() - started;
    };
    // Control: one star, then a literal that fails at the end, retried at every position (identifier × pattern steps).
    const control = time(`*${"a".repeat(399)}b`);
    const pathological = time(`${"*a".repeat(200)}*b`); // a backtracking regular expression never finishes this
    expect(pathological).toBeLessThan(20 * control + 5);
  });
});
