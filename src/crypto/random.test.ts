import { describe, expect, test } from "vitest";
import { randomBytes } from "./random.ts";

describe("randomBytes", () => {
  test("every length, pooled or not, is filled to that length", () => {
    for (const length of [0, 1, 10, 32, 255, 256, 257, 4096, 70_000]) {
      const bytes = randomBytes(length);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(bytes.length).toBe(length);
    }
  });

  test("pooled draws never repeat, across many pool refills", () => {
    // 16-byte draws: a repeat means the pool handed out the same bytes twice (or zeros).
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(Buffer.from(randomBytes(16)).toString("hex"));
    expect(seen.size).toBe(20_000);
    expect(seen.has("0".repeat(32))).toBe(false);
  });

  test("a draw is the caller's own copy: changing it changes no later draw", () => {
    const first = randomBytes(32);
    first.fill(7);
    const next = randomBytes(32);
    expect(next.every((b) => b === 7)).toBe(false);
  });

  test("bytes are spread evenly (every value appears over 64 KiB of pooled draws)", () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 1024; i++) for (const b of randomBytes(64)) counts[b]!++;
    // 65,536 bytes: 256 expected per value; a stuck or zeroed pool fails this by far.
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(Math.max(...counts)).toBeLessThan(380);
  });
});
