import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import { sha256Hex } from "../../src/crypto/hash.ts";
import { generateKey } from "../../src/keys/key-format.ts";
import { findVerifiableKey } from "../../src/keys/verify-key.ts";
import { type Harness, forEachDatabase } from "../harness.ts";
import { scanSource, scanTree } from "./secret-equality-scan.ts";

/**
 * Point 8: timing. In process (app.request, the database behind it), verifies scoped by a
 * root key, interleaved round by round (each round runs every class once, in a random
 * order) so that load on the machine falls on every class alike. And secrets and digests
 * are never compared with `===`: a compiler-API scan of src/.
 *
 * The statistic, judged against noise measured in the same run rather than a fixed
 * percentage (which a loaded machine exceeded while a quiet one passed):
 * - An A/A control: the nonexistent-key class twice ("nonexistent" and its twin, two
 *   random keys), interleaved like the others. Their true difference is zero, so whatever
 *   difference they show is the run's noise.
 * - The rounds are cut into BLOCKS consecutive blocks. In each block b, a class's
 *   difference is d_b = median_b(class) − median_b(nonexistent); the class's difference
 *   D is the mean of its d_b over the blocks.
 * - The control's spread is the standard error of such a D, taken from the control
 *   itself: sd_b(d_b of the twin) / √BLOCKS. Load, a slower database or fewer cores
 *   scatter the blocks more and widen it, for every class alike.
 * - Each class whose answer is the same as a missing key's (NOT_FOUND) must have
 *   |D| ≤ FACTOR × spread + FLOOR_US. FACTOR = 4 is a t-test's bound: with 19 degrees of
 *   freedom pure noise exceeds it in under 0.1% of runs. The floor allows what is really
 *   left: an index entry that is found and rejected by the workspace filter costs
 *   the database one heap-tuple visit (≈ 1 µs) that a missing hash doesn't, far below a
 *   single request's network jitter; without it a very quiet run would judge that.
 * - A key with insufficient permissions answers INSUFFICIENT_PERMISSIONS with the key's own
 *   details (it is the caller's own key), so its timing reveals nothing the answer doesn't;
 *   it reads and decodes a row the others never see, so it is printed, not judged.
 * Every figure is printed every run.
 */
const SAMPLES = 5000;
const WARMUP = 300;
const BLOCKS = 20;
const FACTOR = 4;
const FLOOR_US = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

/**
 * Each round runs the classes in a fresh random order. A fixed rotation gave every class the
 * same predecessor in every round, and a request is slowed by the one before it (the
 * insufficient-permissions verify leaves more garbage): the class after it always paid, a
 * bias the A/A control then showed as a "difference" of 7 µs against a spread of 2 µs.
 */
function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** A small deterministic generator (mulberry32), so a run's order can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Per block, median(samples) − median(reference), in µs (samples[i] and reference[i] are from round i). */
function blockDifferences(samples: number[], reference: number[]): number[] {
  const size = Math.floor(samples.length / BLOCKS);
  return Array.from({ length: BLOCKS }, (_, b) => (median(samples.slice(b * size, (b + 1) * size)) - median(reference.slice(b * size, (b + 1) * size))) * 1000);
}

interface TimingCase {
  name: string;
  body: Record<string, unknown>;
  code: string;
  /** Compared with the missing key (its answer is the same); false: printed only. */
  judged: boolean;
}

forEachDatabase("adversarial 08: verify timing", (h) => {
  let cases: TimingCase[];
  let token: string;
  beforeAll(async () => {
    const a = await h().workspace();
    const b = await h().workspace();
    const keyA = await h().createKey(a, await h().createApi(a), { prefix: "sk", permissions: ["admin"] });
    const keyB = await h().createKey(b, await h().createApi(b), { prefix: "sk", permissions: ["read"] });
    token = (await h().rootKey(b, ["api.*.verify_key"])).key;
    const query = { authorization: { permissions: "admin" } }; // the same request shape for all
    cases = [
      { name: "nonexistent key", body: { key: generateKey({ prefix: "sk" }), ...query }, code: "NOT_FOUND", judged: false },
      { name: "nonexistent key (A/A twin)", body: { key: generateKey({ prefix: "sk" }), ...query }, code: "NOT_FOUND", judged: false },
      { name: "another workspace's key", body: { key: keyA.key, ...query }, code: "NOT_FOUND", judged: true },
      { name: "insufficient permissions", body: { key: keyB.key, ...query }, code: "INSUFFICIENT_PERMISSIONS", judged: false },
    ];
  });

  test("a lookup scoped to a workspace finds another workspace's key no more than a missing one", async () => {
    // What verify runs for a request with a root key: the database itself answers no row, so
    // there is nothing to join, aggregate or decode.
    const a = await h().workspace();
    const b = await h().workspace();
    const { key } = await h().createKey(a, await h().createApi(a));
    const hash = sha256Hex(key);
    expect((await findVerifiableKey(h().db, hash, a.workspaceId))?.hash).toBe(hash);
    expect(await findVerifiableKey(h().db, hash, b.workspaceId)).toBeNull();
    expect(await findVerifiableKey(h().db, sha256Hex(generateKey({ prefix: "sk" })), b.workspaceId)).toBeNull();
    expect((await findVerifiableKey(h().db, hash))?.hash).toBe(hash); // unscoped: any workspace
  });

  async function once(app: Harness["app"], body: Record<string, unknown>): Promise<{ ms: number; code: string }> {
    const init = { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` }, body: JSON.stringify(body) };
    const started = performance.now();
    const res = await app.request("/v1/keys.verifyKey", init);
    const { code } = (await res.json()) as { code: string };
    return { ms: performance.now() - started, code };
  }

  test(`${SAMPLES} interleaved samples per class: missing-key answers differ by at most ${FACTOR} × the A/A control's spread + ${FLOOR_US} µs`, async () => {
    const samples = cases.map(() => [] as number[]);
    const random = seededRandom(8);
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      for (const c of shuffled(cases.length, random)) {
        const { ms, code } = await once(h().app, cases[c]!.body);
        expect(code).toBe(cases[c]!.code);
        if (i >= WARMUP) samples[c]!.push(ms);
      }
    }
    expect(samples.every((s) => s.length === SAMPLES)).toBe(true);
    const [reference, twin] = samples as [number[], number[]];
    const spread = sd(blockDifferences(twin, reference)) / Math.sqrt(BLOCKS);
    const limit = FACTOR * spread + FLOOR_US;
    const results = cases.map((c, k) => ({ ...c, median: median(samples[k]!) * 1000, difference: mean(blockDifferences(samples[k]!, reference)) }));
    const us = (x: number) => `${x.toFixed(0)} µs`;
    const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)} µs`;
    const figures = results.map((r) => `${r.name} ${us(r.median)}`).join(", ");
    const differences = results.slice(1).map((r) => `${r.name} ${signed(r.difference)}${r.judged || r === results[1] ? "" : " (not judged)"}`).join(", ");
    console.log(
      `[adversarial 08 ${h().kind}] medians over ${SAMPLES} samples each: ${figures}. ` +
        `Differences from the nonexistent key (mean of ${BLOCKS} block medians): ${differences}. ` +
        `Control spread ${spread.toFixed(2)} µs; limit ${FACTOR} × spread + ${FLOOR_US} µs = ${limit.toFixed(1)} µs`,
    );
    const beyond = results.filter((r, k) => (r.judged || k === 1) && Math.abs(r.difference) > limit).map((r) => `${r.name} ${signed(r.difference)}`);
    expect(beyond, `beyond ${limit.toFixed(1)} µs`).toEqual([]);
  }, 600_000);
});

describe("adversarial 08: secrets and digests are never compared with ===", () => {
  /** Reviewed comparisons that are not secret comparisons, each with why. */
  const ALLOWED: Record<string, string> = {
    // The audit chain's hashes are public (audit.listLogs serves them) and are digests of entries that hold no secret.
    "audit/verify-chain.ts: hashEntry(entry) !== entry.hash": "an offline chain check by the operator's CLI: public hashes of secret-free entries, no caller input",
    "audit/verify-chain.ts: entry.prevHash !== prevHash": "an offline chain check by the operator's CLI: public hashes of secret-free entries, no caller input",
    "audit/verify-chain.ts: head.hash !== prevHash": "an offline chain check by the operator's CLI: public hashes of secret-free entries, no caller input",
    "worker.ts: signer?.jwk !== env.VAULT_TOKEN_PRIVATE_KEY": "a cache check between two server-side copies of configuration; no caller input is compared",
    "cache/record-cache.ts: this.hashesById.get(entry.record.id) === hash": "an eviction's bookkeeping: the id index against the evicted entry's own cache key, both held by the server; the caller's digest was already matched by the LRU's map lookup",
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
