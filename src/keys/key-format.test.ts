import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { base58Fixed } from "../crypto/encoding.ts";
import {
  MAX_BYTE_LENGTH,
  MAX_KEY_LENGTH,
  MAX_PREFIX_LENGTH,
  MIN_BYTE_LENGTH,
  ROOT_KEY_PREFIX,
  generateKey,
  isValidPrefix,
  keyStart,
  parseKey,
} from "./key-format.ts";

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/** What a mutation may put into a key: every base58 digit, the separator, and lookalikes. */
const MUTATION_ALPHABET = [...BASE58, "_", "0", "O", "I", "l", "-", " ", ".", "é"];

const prefixPart = fc.string({ unit: fc.constantFrom(..."abcXYZ019"), minLength: 1, maxLength: 5 });
const prefix = fc
  .array(prefixPart, { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join("_"))
  .filter((p) => p.length <= MAX_PREFIX_LENGTH);
const maybePrefix = fc.option(prefix, { nil: undefined });
const byteLength = fc.integer({ min: MIN_BYTE_LENGTH, max: MAX_BYTE_LENGTH });

/** The documented format, computed independently: check = 6 base58 digits of SHA-256(head + body)[0..4]. */
function documentedChecksum(head: string, body: string): string {
  const d = sha256(utf8ToBytes(head + body));
  return base58Fixed(BigInt(((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0), 6);
}

function* substitutions(key: string): Generator<string> {
  for (let i = 0; i < key.length; i++) {
    for (const c of MUTATION_ALPHABET) if (c !== key[i]) yield key.slice(0, i) + c + key.slice(i + 1);
  }
}
function* deletions(key: string): Generator<string> {
  for (let i = 0; i < key.length; i++) yield key.slice(0, i) + key.slice(i + 1);
}
function* insertions(key: string): Generator<string> {
  for (let i = 0; i <= key.length; i++) for (const c of MUTATION_ALPHABET) yield key.slice(0, i) + c + key.slice(i);
}

describe("generateKey / parseKey", () => {
  test("round trip for random prefixes and byte lengths", () => {
    fc.assert(
      fc.property(maybePrefix, byteLength, (p, n) => {
        const key = generateKey({ prefix: p, byteLength: n });
        const parsed = parseKey(key);
        expect(parsed).not.toBeNull();
        expect(parsed!.prefix).toBe(p);
        expect(key).toBe(`${p === undefined ? "" : `${p}_`}${parsed!.body}${key.slice(-6)}`);
        expect(parsed!.body).toMatch(/^[1-9A-HJ-NP-Za-km-z]+$/);
        expect(key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
        // The checksum is the documented one, not merely self-consistent.
        expect(key.slice(-6)).toBe(documentedChecksum(p === undefined ? "" : `${p}_`, parsed!.body));
      }),
      { numRuns: 500 },
    );
  });

  test("the longest key fits MAX_KEY_LENGTH", () => {
    for (let i = 0; i < 50; i++) {
      const key = generateKey({ prefix: "a".repeat(MAX_PREFIX_LENGTH), byteLength: MAX_BYTE_LENGTH });
      expect(key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
      expect(parseKey(key)).not.toBeNull();
    }
  });

  test("the default is 16 bytes and no prefix", () => {
    const key = generateKey();
    expect(key).not.toContain("_");
    expect(parseKey(key)).toEqual({ prefix: undefined, body: key.slice(0, -6) });
    expect(key.length).toBeGreaterThanOrEqual(16 + 6);
    expect(key.length).toBeLessThanOrEqual(22 + 6);
  });

  test("byte lengths and prefixes out of range are refused", () => {
    for (const n of [0, 1, 15, 256, 1000, 16.5, Number.NaN, -16]) {
      expect(() => generateKey({ byteLength: n }), String(n)).toThrow(RangeError);
    }
    for (const p of ["", "_", "a_", "_a", "a__b", "a-b", "a b", "é", "a".repeat(MAX_PREFIX_LENGTH + 1)]) {
      expect(() => generateKey({ prefix: p }), JSON.stringify(p)).toThrow(RangeError);
      expect(isValidPrefix(p)).toBe(false);
    }
  });

  test("keys from different calls differ", () => {
    const seen = new Set<string>();
    const bodies = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const key = generateKey({ prefix: "sk" });
      seen.add(key);
      bodies.add(key.slice(3, 3 + 10));
    }
    expect(seen.size).toBe(20_000);
    // Even 10-character windows of the body never repeat: the bytes are random, not a counter.
    expect(bodies.size).toBe(20_000);
  });
});

describe("keyStart", () => {
  test("is the prefix and four characters, and a prefix of the key", () => {
    fc.assert(
      fc.property(maybePrefix, byteLength, (p, n) => {
        const key = generateKey({ prefix: p, byteLength: n });
        const start = keyStart(key);
        const head = p === undefined ? "" : `${p}_`;
        expect(start).toBe(head + parseKey(key)!.body.slice(0, 4));
        expect(key.startsWith(start)).toBe(true);
        expect(start.length - head.length).toBe(4);
      }),
      { numRuns: 300 },
    );
  });

  test("examples", () => {
    expect(keyStart("sk_live_ABCDEFGHJKLMN")).toBe("sk_live_ABCD");
    expect(keyStart("ABCDEFGHJKLMN")).toBe("ABCD");
    expect(keyStart(`${ROOT_KEY_PREFIX}_xyzw123`)).toBe(`${ROOT_KEY_PREFIX}_xyzw`);
  });
});

describe("checksum", () => {
  /** Keys of varied shapes: short and long bodies, none/short/long/underscored prefixes. */
  const exhaustiveKeys = [
    generateKey(),
    generateKey({ prefix: "sk" }),
    generateKey({ prefix: "sk_live", byteLength: 24 }),
    generateKey({ prefix: "a_b_c_d", byteLength: 16 }),
    generateKey({ prefix: "X".repeat(MAX_PREFIX_LENGTH), byteLength: 40 }),
    generateKey({ prefix: ROOT_KEY_PREFIX, byteLength: 32 }),
    generateKey({ prefix: "p", byteLength: MAX_BYTE_LENGTH }),
  ];

  test.each(exhaustiveKeys.map((k) => [k.length, k]))("rejects every single-character edit (exhaustive, length %i)", (_, key) => {
    expect(parseKey(key)).not.toBeNull();
    let tried = 0;
    for (const gen of [substitutions, deletions, insertions]) {
      for (const mutated of gen(key)) {
        tried++;
        if (parseKey(mutated) !== null) throw new Error(`accepted a mutation of ${key}: ${mutated}`);
      }
    }
    expect(tried).toBeGreaterThan(key.length * MUTATION_ALPHABET.length);
  });

  test("rejects single-character edits of many random keys", () => {
    const edit = fc.tuple(fc.nat(), fc.constantFrom(...MUTATION_ALPHABET), fc.constantFrom("sub", "del", "ins"));
    fc.assert(
      fc.property(maybePrefix, byteLength, fc.array(edit, { minLength: 20, maxLength: 20 }), (p, n, edits) => {
        const key = generateKey({ prefix: p, byteLength: n });
        for (const [at, c, kind] of edits) {
          const i = at % key.length;
          const mutated =
            kind === "sub" ? key.slice(0, i) + c + key.slice(i + 1) : kind === "del" ? key.slice(0, i) + key.slice(i + 1) : key.slice(0, i) + c + key.slice(i);
          if (mutated === key) continue; // a substitution by the same character
          expect(parseKey(mutated), mutated).toBeNull();
        }
      }),
      { numRuns: 1_000 },
    );
  });

  test("rejects swapped adjacent characters and a moved prefix", () => {
    fc.assert(
      fc.property(maybePrefix, byteLength, fc.nat(), (p, n, at) => {
        const key = generateKey({ prefix: p, byteLength: n });
        const i = at % (key.length - 1);
        if (key[i] === key[i + 1]) return;
        expect(parseKey(key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2))).toBeNull();
        // The prefix is covered by the checksum: another prefix on the same body and check fails.
        const parsed = parseKey(key)!;
        expect(parseKey(`other_${parsed.body}${key.slice(-6)}`)).toBeNull();
      }),
      { numRuns: 500 },
    );
  });
});

describe("malformed strings never parse", () => {
  test("table", () => {
    const good = generateKey({ prefix: "sk" });
    const body = parseKey(good)!.body;
    const check = good.slice(-6);
    const cases = [
      "",
      "_",
      "sk_",
      "sk__",
      "______",
      "123456", // a checksum with no body
      check, // exactly a checksum
      `_${body}${check}`, // empty prefix
      `sk__${body}${check}`,
      ` ${good}`,
      `${good} `,
      `${good}\n`,
      good.toUpperCase(),
      good.toLowerCase(),
      `sk-${body}${check}`,
      `${"a".repeat(MAX_PREFIX_LENGTH + 1)}_${body}${check}`,
      "x".repeat(MAX_KEY_LENGTH + 1),
      `sk_${body}${"1".repeat(6)}`,
      `sk_${body}`, // the checksum dropped
      `sk_${body}${check}${check}`,
      "Bearer " + good,
      "null",
      "undefined",
      "\u0000".repeat(30),
      "🔑".repeat(20),
    ];
    for (const s of cases) expect(parseKey(s), JSON.stringify(s)).toBeNull();
  });

  test("structurally invalid keys are refused even with a correct checksum", () => {
    // Forged with the documented checksum, so only the structure rules can refuse them.
    const forge = (head: string, body: string) => `${head}${body}${documentedChecksum(head, body)}`;
    const body = "3ZbEfKd9q2Hs7wQvXyT4Lm";
    expect(parseKey(forge("sk_", body))).toEqual({ prefix: "sk", body }); // the control
    for (const [head, b] of [
      [`${"a".repeat(MAX_PREFIX_LENGTH + 1)}_`, body],
      ["a-b_", body],
      ["_", body],
      ["a__b_", body],
      ["sk_", "0OIl" + body], // not base58
      ["sk_", body + "-"],
      ["sk_", `${body}${"z".repeat(MAX_KEY_LENGTH)}`],
    ] as const) {
      expect(parseKey(forge(head, b)), head + b).toBeNull();
    }
  });

  test("random strings", () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => parseKey(s) === null), { numRuns: 5_000 });
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...BASE58, "_"), minLength: 0, maxLength: 60 }), (s) => parseKey(s) === null),
      { numRuns: 5_000 },
    );
  });
});
