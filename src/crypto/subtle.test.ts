import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { constantTimeEqual } from "./subtle.ts";

const bytesEqual = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const utf8 = (s: string) => new TextEncoder().encode(s);

describe("constantTimeEqual", () => {
  test("table", () => {
    const cases: [Uint8Array | string, Uint8Array | string, boolean][] = [
      ["", "", true],
      ["a", "a", true],
      ["a", "", false],
      ["", "a", false],
      ["a", "b", false],
      ["ab", "abab", false], // the shorter one is read cyclically: that must not make them equal
      ["abab", "ab", false],
      ["aaaa", "a", false],
      ["a", "a\u0000", false],
      ["\u0000", "", false],
      ["é", "e\u0301", false],
      // Lone surrogates are distinct code units: UTF-8 encoding would turn both into U+FFFD.
      ["\ud800", "\udfff", false],
      ["\ud800", "\ufffd", false],
      ["\ud800", "\ud800", true],
      ["kh_root_abc", utf8("kh_root_abc"), true],
      [new Uint8Array([1, 2]), new Uint8Array([1, 2, 1, 2]), false],
      [new Uint8Array([0]), new Uint8Array([]), false],
      [new Uint8Array([]), new Uint8Array([]), true],
      [new Uint8Array(256).fill(255), new Uint8Array(256).fill(255), true],
    ];
    for (const [a, b, expected] of cases) {
      expect(constantTimeEqual(a, b), `${String(a)} vs ${String(b)}`).toBe(expected);
    }
  });

  test("agrees with === on strings", () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => constantTimeEqual(a, b) === (a === b)));
    fc.assert(fc.property(fc.string({ unit: "grapheme" }), (a) => constantTimeEqual(a, a)));
    fc.assert(fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => constantTimeEqual(a, b) === (a === b)));
    // Near misses: one character changed, one appended, one removed.
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (a, at, c) => {
        const i = at % a.length;
        const changed = a.slice(0, i) + c + a.slice(i + 1);
        expect(constantTimeEqual(a, changed)).toBe(a === changed);
        expect(constantTimeEqual(a, a + c)).toBe(false);
        expect(constantTimeEqual(a, a.slice(0, -1))).toBe(false);
        expect(constantTimeEqual(a + a, a)).toBe(false);
      }),
    );
  });

  test("agrees with byte equality on byte arrays", () => {
    fc.assert(fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => constantTimeEqual(a, b) === bytesEqual(a, b)));
    fc.assert(fc.property(fc.uint8Array(), (a) => constantTimeEqual(a, Uint8Array.from(a))));
    // Repetitions of one another (the cyclic reading inside) are still different.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.integer({ min: 2, max: 4 }), (a, n) => {
        const repeated = new Uint8Array(a.length * n);
        for (let i = 0; i < n; i++) repeated.set(a, i * a.length);
        return !constantTimeEqual(a, repeated) && !constantTimeEqual(repeated, a);
      }),
    );
  });

  test("a string equals its UTF-8 bytes", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => constantTimeEqual(s, utf8(s)) && constantTimeEqual(utf8(s), s)));
  });

  test("is symmetric", () => {
    fc.assert(fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => constantTimeEqual(a, b) === constantTimeEqual(b, a)));
  });
});
