import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import { generateKey } from "../../src/keys/key-format.ts";
import { type Harness, forEachDatabase } from "../harness.ts";
import { scanSource, scanTree } from "./secret-equality-scan.ts";

/**
 * Point 8: timing. In process (app.request, the database behind it), 5,000 samples each of
 * verify for a nonexistent key, another workspace's key and a key with insufficient
 * permissions, interleaved so that load on the machine falls on all three alike; their
 * medians must lie within 5% of each other. The figures are printed every run. And
 * secrets and digests are never compared with `===`: a compiler-API scan of src/.
 */
const SAMPLES = 5000;
const WARMUP = 300;
const TOLERANCE = 0.05;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

forEachDatabase("adversarial 08: verify timing", (h) => {
  let cases: { name: string; body: Record<string, unknown>; code: string }[];
  let token: string;
  beforeAll(async () => {
    const a = await h().workspace();
    const b = await h().workspace();
    const keyA = await h().createKey(a, await h().createApi(a), { prefix: "sk", permissions: ["admin"] });
    const keyB = await h().createKey(b, await h().createApi(b), { prefix: "sk", permissions: ["read"] });
    token = (await h().rootKey(b, ["api.*.verify_key"])).key;
    const query = { authorization: { permissions: "admin" } }; // the same request shape for all three
    cases = [
      { name: "nonexistent key", body: { key: generateKey({ prefix: "sk" }), ...query }, code: "NOT_FOUND" },
      { name: "another workspace's key", body: { key: keyA.key, ...query }, code: "NOT_FOUND" },
      { name: "insufficient permissions", body: { key: keyB.key, ...query }, code: "INSUFFICIENT_PERMISSIONS" },
    ];
  });

  async function once(app: Harness["app"], body: Record<string, unknown>): Promise<{ ms: number; code: string }> {
    const init = { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` }, body: JSON.stringify(body) };
    const started = performance.now();
    const res = await app.request("/v1/keys.verifyKey", init);
    const { code } = (await res.json()) as { code: string };
    return { ms: performance.now() - started, code };
  }

  test(`${SAMPLES} samples each: medians of nonexistent, foreign and insufficient-permission verifies within ${TOLERANCE * 100}%`, async () => {
    const samples = cases.map(() => [] as number[]);
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      for (let j = 0; j < cases.length; j++) {
        const c = (i + j) % cases.length; // rotate the order so no case always runs first
        const { ms, code } = await once(h().app, cases[c]!.body);
        expect(code).toBe(cases[c]!.code);
        if (i >= WARMUP) samples[c]!.push(ms);
      }
    }
    const medians = samples.map(median);
    const spread = Math.max(...medians) / Math.min(...medians) - 1;
    const figures = cases.map((c, k) => `${c.name} ${(medians[k]! * 1000).toFixed(0)} µs`).join(", ");
    console.log(`[adversarial 08 ${h().kind}] medians over ${SAMPLES} samples each: ${figures}; spread ${(spread * 100).toFixed(2)}% (limit ${TOLERANCE * 100}%)`);
    expect(samples.every((s) => s.length === SAMPLES)).toBe(true);
    expect(spread).toBeLessThanOrEqual(TOLERANCE);
  }, 300_000);
});

describe("adversarial 08: secrets and digests are never compared with ===", () => {
  /** Reviewed comparisons that are not secret comparisons, each with why. */
  const ALLOWED: Record<string, string> = {
    "worker.ts: signer?.jwk !== env.VAULT_TOKEN_PRIVATE_KEY": "a cache check between two server-side copies of configuration; no caller input is compared",
  };

  test("the scan finds every comparison planted in the fixture, and none of the harmless ones", () => {
    const file = fileURLToPath(new URL("./fixtures/planted-secret-equality.ts", import.meta.url));
    const findings = scanSource("planted.ts", readFileSync(file, "utf8"));
    const text = readFileSync(file, "utf8");
    const caughtEnd = text.indexOf("export function fine");
    const caughtLines = text.slice(0, caughtEnd).split("\n").length;
    expect(findings.map((f) => f.text)).toEqual([
      "hash === other",
      "row.hash !== other",
      "token == other",
      "sha256Hex(other) === row.token",
      "plaintext === other",
      "other === rootKey",
      "secret != other",
      "(digest as string) === other",
    ]);
    expect(findings.every((f) => f.line < caughtLines)).toBe(true);
  });

  test("src/ has no such comparison outside the reviewed list", () => {
    const src = fileURLToPath(new URL("../../src", import.meta.url));
    const findings = scanTree(src).map((f) => `${f.file}: ${f.text}`);
    expect(findings.filter((f) => !(f in ALLOWED))).toEqual([]);
    // The allowlist holds nothing stale.
    for (const allowed of Object.keys(ALLOWED)) expect(findings).toContain(allowed);
  });
});
