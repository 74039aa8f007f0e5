import fc from "fast-check";
import { beforeAll, expect, test } from "vitest";
import { EVALUATION_BUDGET } from "../../src/policies/evaluation-budget.ts";
import { type Harness, type Workspace, forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope } from "../security/envelope.ts";

/**
 * Random expressions and strings through HTTP createPolicy: every answer is a 200 or a 400 in
 * the version's envelope (never a 500), and no call takes long. "Long" is judged against a
 * control measured in this very run (a trivial valid policy), so a slow machine does not fail
 * the suite and a pathological input does: a call that looks slow is measured twice more and
 * its fastest time counts, which rules out a one-off pause.
 */

const INPUTS = ["activity", "api", "key", "escrow_key", "user", "approvers"];
const FIELDS = ["type", "params", "id", "name", "email", "tags", "apiId", "meta", "recoveryEnabled", "x", "constructor", "__proto__"];
const TOKENS = [
  ...INPUTS,
  ...FIELDS.map((f) => `.${f}`),
  ...["size(", "has(", "int(", "string(", "dyn(", "type(", "cel.bind(", "timestamp(", "duration(", "matches(", "process", "globalThis"],
  ...[".exists(", ".all(", ".any(", ".count()", ".map(", ".filter(", ".exists_one(", ".size()", ".contains(", ".startsWith(", ".join(", ".split(", ".matches("],
  ...["==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "-", "+", "*", "/", "%", "?", ":", "in", ",", "(", ")", "[", "]", "{", "}", "."],
  ...["0", "1", "2", "-1", "9223372036854775807", "9223372036854775808", "1.5", "1e308", "0x7f", "1u", "true", "false", "null"],
  ...["'a'", '"b"', "''", "'\\u0000'", "r'\\d'", "b'x'", "'''x'''", "'", '"', "\\", "'usr_1'", "'DECRYPT_KEY'", "a", "u", "t", "\n", "#", "@", "$", "`", "\u202e", "🙂"],
];

/** CEL-shaped expressions that mostly parse, so that type checking, structure rules and the trial evaluation run too. */
const { expr } = fc.letrec<{ expr: string; list: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("true", "false", "activity.type == 'DECRYPT_KEY'", "api.id == 'api_x'", "size(approvers) >= 2", "approvers.count() >= 2", "has(activity.params.x)", "user.email == ''"),
    fc.tuple(tie("expr"), fc.constantFrom("&&", "||"), tie("expr")).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    tie("expr").map((e) => `!(${e})`),
    fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([c, a, b]) => `(${c}) ? (${a}) : (${b})`),
    fc.tuple(tie("list"), fc.constantFrom("exists", "all", "any", "exists_one"), tie("expr")).map(([l, m, e]) => `${l}.${m}(v, ${e})`),
    fc.tuple(tie("list"), fc.constantFrom("==", "!=")).map(([l, op]) => `${l} ${op} ${l}`),
    fc.tuple(tie("list"), fc.nat(1000)).map(([l, n]) => `size(${l}) > ${n}`),
    fc.tuple(fc.constantFrom("'x'", "user.name", "activity.type"), tie("expr")).map(([v, e]) => `cel.bind(s, ${v} + ${v}, s.size() > 0 && (${e}))`),
    fc.tuple(fc.constantFrom(...INPUTS), fc.constantFrom(...FIELDS)).map(([i, f]) => `${i}.${f} == 'x'`),
  ),
  list: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom("approvers", "user.tags", "activity.params.permissions", "[1, 2, 3]", "['a', 'b']", "approvers.map(a, a.tags)"),
    fc.tuple(tie("list"), tie("list")).map(([a, b]) => `(${a} + ${b})`),
    fc.tuple(tie("list"), tie("expr")).map(([l, e]) => `${l}.filter(w, ${e})`),
    tie("list").map((l) => `[${l}, ${l}]`),
  ),
}));

const tokenSoup = fc.tuple(fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }), fc.boolean()).map(([tokens, spaced]) => tokens.join(spaced ? " " : ""));
const anyText = fc.string({ unit: "binary", maxLength: 300 });
/** Mostly CEL-shaped, then token soup, any text, an over-long one, and JSON of the wrong type. */
const expression = fc.oneof(
  { weight: 6, arbitrary: expr },
  { weight: 2, arbitrary: tokenSoup },
  { weight: 2, arbitrary: anyText },
  { weight: 1, arbitrary: fc.constant("x".repeat(4097)) },
  { weight: 1, arbitrary: fc.jsonValue() },
);
/** Mostly a valid frame around the expressions, so that they, not the other fields, decide the answer. */
const body = fc.record(
  {
    name: fc.oneof({ weight: 9, arbitrary: fc.constant("fuzz") }, { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 300 }) }),
    effect: fc.oneof({ weight: 9, arbitrary: fc.constantFrom("ALLOW", "DENY") }, { weight: 1, arbitrary: fc.constantFrom("allow", "", "EFFECT_ALLOW") }),
    condition: expression,
    consensus: expression,
    notes: fc.string({ maxLength: 50 }),
  },
  { requiredKeys: ["name", "effect", "condition"] },
);

forEachDatabase("createPolicy fuzz", (h) => {
  let ws: Workspace;
  let controlMs: number;

  async function timedCreate(version: "v1" | "v2", input: unknown) {
    const started = performance.now();
    const res = await h().post(`/${version}/policies.createPolicy`, input, ws.rootKey);
    return { res, ms: performance.now() - started };
  }

  beforeAll(async () => {
    ws = await h().workspace();
    const times: number[] = [];
    for (let i = 0; i < 21; i++) {
      const { res, ms } = await timedCreate(i % 2 ? "v1" : "v2", { name: "control", effect: "ALLOW", condition: "activity.type == 'DECRYPT_KEY'", consensus: "approvers.count() >= 2" });
      expect(res.status).toBe(200);
      await removeCreated(h(), res.body, ws);
      times.push(ms);
    }
    controlMs = times.sort((a, b) => a - b)[10]!;
  });

  test("random expressions and strings give a 200 or a 400 in the envelope, never a 500, each call bounded", async () => {
    // What one call may take: its two expressions' evaluation budgets (the trial run) and many controls' worth of the rest.
    const bound = 4 * EVALUATION_BUDGET.ms + 25 * controlMs;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom("v1" as const, "v2" as const), async (input, version) => {
        let { res, ms } = await timedCreate(version, input);
        for (let retry = 0; retry < 2 && ms > bound; retry++) {
          await removeCreated(h(), res.body, ws);
          const again = await timedCreate(version, input);
          ({ res } = again);
          ms = Math.min(ms, again.ms);
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const context = `${version} ${JSON.stringify(input).slice(0, 300)}`;
        expect([200, 400], `${context} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`).toContain(res.status);
        if (res.status === 400) expectErrorEnvelope(res, "BAD_REQUEST", context);
        await removeCreated(h(), res.body, ws);
        expect(ms, `${context}: ${ms.toFixed(1)} ms against a control of ${controlMs.toFixed(1)} ms`).toBeLessThan(bound);
      }),
      { numRuns: 400 },
    );
    // The generators reach both answers, so the property tested both.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(10);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(100);
  });
});

/** Deletes what a 200 created, so the workspace stays below its policy bound. */
async function removeCreated(h: Harness, body: any, ws: Workspace): Promise<void> {
  const policyId = body?.policyId ?? body?.data?.policyId;
  if (policyId) expect((await h.post("/v2/policies.deletePolicy", { policyId }, ws.rootKey)).status).toBe(200);
}
