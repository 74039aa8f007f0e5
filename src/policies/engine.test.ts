import { Environment } from "@marcbachmann/cel-js";
import { describe, expect, test } from "vitest";
import { KeyholdError } from "../errors.ts";
import { policyEnvironment } from "./cel-environment.ts";
import { type CompiledPolicy, type PolicyInput, compilePolicy, evaluatePolicies } from "./engine.ts";

const user = (id: string, tags: string[] = []) => ({ id, name: `name of ${id}`, email: `${id}@example.com`, tags });

function input(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    activity: { type: "DECRYPT_KEY", params: { keyId: "key_1", remaining: 5, ratio: 0.5, permissions: ["read", "write"] } },
    api: { id: "api_x", name: "payments", recoveryEnabled: true },
    key: { id: "key_1", apiId: "api_x", name: null, meta: { plan: "pro", seats: 3 } },
    user: user("usr_1"),
    approvers: [user("usr_1")],
    ...overrides,
  };
}

let n = 0;
function policy(effect: "ALLOW" | "DENY", condition: string, consensus?: string | null): CompiledPolicy {
  const id = `pol_${++n}`;
  return { id, name: `policy ${n}`, effect, ...compilePolicy({ condition, consensus }) };
}

/** The KeyholdError compilePolicy throws for this source. */
function refusal(condition: string, consensus?: string): KeyholdError {
  try {
    compilePolicy({ condition, consensus });
  } catch (error) {
    expect(error).toBeInstanceOf(KeyholdError);
    expect((error as KeyholdError).code).toBe("BAD_REQUEST");
    return error as KeyholdError;
  }
  throw new Error(`compiled: ${condition} / ${consensus}`);
}

describe("policy decisions", () => {
  test("a matching DENY wins over a matching ALLOW whose consensus holds, in either order", () => {
    const allow = policy("ALLOW", "true");
    const deny = policy("DENY", "activity.type == 'DECRYPT_KEY'");
    for (const order of [
      [allow, deny],
      [deny, allow],
    ]) {
      const decision = evaluatePolicies(order, input());
      expect(decision.denied).toEqual({ policyId: deny.id, name: deny.name });
      expect(decision.matched.sort()).toEqual([allow.id, deny.id].sort());
    }
    expect(evaluatePolicies([allow], input())).toMatchObject({ allowMatched: true, consensusMet: true, matched: [allow.id] });
    expect(evaluatePolicies([allow], input()).denied).toBeUndefined();
  });

  test("a per-API condition matches that API's activity of that type only", () => {
    const perApi = policy("ALLOW", "activity.type == 'DECRYPT_KEY' && api.id == 'api_x'", "size(approvers) >= 2");
    expect(evaluatePolicies([perApi], input())).toMatchObject({ allowMatched: true, consensusMet: false, matched: [perApi.id] });
    const otherApi = input({ api: { id: "api_y", name: "other", recoveryEnabled: true } });
    expect(evaluatePolicies([perApi], otherApi)).toMatchObject({ allowMatched: false, consensusMet: false, matched: [] });
    const otherType = input({ activity: { type: "CREATE_KEY", params: {} } });
    expect(evaluatePolicies([perApi], otherType).matched).toEqual([]);
    // An activity about no API sees `api.id == ''`: the condition is simply false, not a failure.
    const noApi = evaluatePolicies([perApi], input({ activity: { type: "DECRYPT_KEY", params: {} }, api: null, key: null }));
    expect(noApi).toMatchObject({ matched: [], failures: [] });
  });

  test("no policy, or none matching: nothing matched, nothing denied", () => {
    expect(evaluatePolicies([], input())).toEqual({ allowMatched: false, consensusMet: false, matched: [], failures: [] });
    expect(evaluatePolicies([policy("DENY", "activity.type == 'EXPORT_KEY'")], input())).toEqual({ allowMatched: false, consensusMet: false, matched: [], failures: [] });
  });

  test("consensus: CEL's forms and Turnkey's forms mean the same, for every set of approvers", () => {
    const pairs = [
      ["size(approvers) >= 2", "approvers.count() >= 2"],
      ["approvers.exists(a, a.id == 'usr_1')", "approvers.any(user, user.id == 'usr_1')"],
      ["approvers.filter(a, 'ops' in a.tags).size() >= 2", "approvers.filter(u, u.tags.any(t, t == 'ops')).count() >= 2"],
    ] as const;
    const sets = [[], [user("usr_1")], [user("usr_2", ["ops"])], [user("usr_1", ["ops"]), user("usr_2", ["ops"])], [user("usr_2"), user("usr_3", ["ops"]), user("usr_4")]];
    for (const [cel, turnkey] of pairs) {
      const a = policy("ALLOW", "true", cel);
      const b = policy("ALLOW", "true", turnkey);
      const results = sets.map((approvers) => [evaluatePolicies([a], input({ approvers })).consensusMet, evaluatePolicies([b], input({ approvers })).consensusMet]);
      for (const [x, y] of results) expect(x, `${cel} vs ${turnkey}`).toBe(y);
      expect(new Set(results.map(([x]) => x)), `${cel} is decided both ways by the sets`).toEqual(new Set([true, false]));
    }
  });

  test("consensus holds when any matching ALLOW's does; empty or absent consensus is always met", () => {
    const strict = policy("ALLOW", "true", "size(approvers) >= 3");
    const lenient = policy("ALLOW", "true", "size(approvers) >= 1");
    expect(evaluatePolicies([strict], input()).consensusMet).toBe(false);
    expect(evaluatePolicies([strict, lenient], input()).consensusMet).toBe(true);
    for (const consensus of [undefined, null, "", "   "]) expect(evaluatePolicies([policy("ALLOW", "true", consensus)], input()).consensusMet).toBe(true);
    // A non-matching ALLOW's consensus counts for nothing.
    expect(evaluatePolicies([strict, policy("ALLOW", "false", "true")], input()).consensusMet).toBe(false);
  });

  test("numbers in params and meta compare with int and double literals", () => {
    for (const condition of [
      "activity.params.remaining == 5",
      "activity.params.remaining > 4.5",
      "activity.params.ratio < 1",
      "activity.params.ratio == 0.5",
      "key.meta.seats + 1 == 4",
      "size(activity.params.permissions) == 2",
      "'write' in activity.params.permissions",
      "key.name == ''",
    ]) {
      expect(evaluatePolicies([policy("ALLOW", condition)], input()), condition).toMatchObject({ matched: [expect.any(String)], failures: [] });
    }
  });
});

describe("failing closed", () => {
  test("a condition that fails to evaluate denies as a DENY, and applies as an ALLOW (whose consensus is then required)", () => {
    const deny = policy("DENY", "activity.params.recoverable == true");
    const denied = evaluatePolicies([deny], input());
    expect(denied.denied?.policyId).toBe(deny.id);
    expect(denied.failures).toEqual([{ policyId: deny.id, expression: "condition", message: expect.stringContaining("recoverable") }]);
    const allow = policy("ALLOW", "activity.params.recoverable == true", "size(approvers) >= 2");
    expect(evaluatePolicies([allow], input())).toMatchObject({ allowMatched: true, consensusMet: false });
    // Written with has(), the condition does not apply where the field is absent.
    expect(evaluatePolicies([policy("DENY", "has(activity.params.recoverable) && activity.params.recoverable == true")], input()).denied).toBeUndefined();
  });

  test("a consensus that fails to evaluate is not met", () => {
    const allow = policy("ALLOW", "true", "activity.params.quorum <= size(approvers)");
    expect(evaluatePolicies([allow], input())).toMatchObject({ allowMatched: true, consensusMet: false, failures: [{ expression: "consensus" }] });
  });

  test("a dyn condition that is not a boolean at runtime fails (closed)", () => {
    const deny = policy("DENY", "activity.params.keyId");
    expect(evaluatePolicies([deny], input()).denied?.policyId).toBe(deny.id);
  });

  test("params nested beyond the bound fail every policy closed instead of the stack", () => {
    let deep: unknown = "bottom";
    for (let i = 0; i < 10_000; i++) deep = { deep };
    const deny = policy("DENY", "activity.type == 'NEVER'");
    const decision = evaluatePolicies([deny], input({ activity: { type: "DECRYPT_KEY", params: { deep } } }));
    expect(decision.denied?.policyId).toBe(deny.id);
  });
});

describe("compile errors: 400 naming the expression and the position", () => {
  test("a type error names the condition and its line and column", () => {
    const error = refusal("activity.type == 'X' && activity.typ == 'Y'");
    expect(error.message).toContain("condition");
    expect(error.message).toContain("line 1, column 34");
    expect(error.message).toContain("typ");
  });

  test("a parse error in the consensus names the consensus and its line", () => {
    const error = refusal("true", "size(approvers) >= 2 &&\n  approvers.exists(a, a.id == )");
    expect(error.message).toMatch(/^The consensus is not valid CEL at line 2, column \d+/);
  });

  test("non-boolean expressions, over-long ones, empty ones and unknown functions are refused", () => {
    expect(refusal("1 + 2").message).toContain("boolean");
    expect(refusal("true", "'a'").message).toMatch(/consensus.*boolean/);
    expect(refusal(`true${" && true".repeat(600)}`).message).toContain("4096");
    expect(refusal("   ").message).toContain("empty");
    expect(refusal("approvers.count(1) >= 2").message).toContain("condition");
  });

  test("matches() is refused: JavaScript's regular expressions can backtrack without bound", () => {
    expect(refusal("user.email.matches('^(a+)+$')").message).toContain("matches()");
    expect(refusal("true", "approvers.exists(a, a.name.matches('x'))").message).toMatch(/consensus uses matches\(\)/);
  });
});

describe("an expression reaches nothing but its inputs", () => {
  test("globals, Node's objects and JavaScript's escape hatches are unknown identifiers or functions", () => {
    for (const condition of [
      "process.env.HOME == ''",
      "globalThis != null",
      "this == null",
      "require('fs') == null",
      "eval('1') == 1",
      "Function('return 1') == null",
      "import('fs') == null",
      "constructor == null",
      "user.constructor == null",
      "activity.__proto__ == null",
      "console.log('x')",
      "Date.now() > 0",
    ]) {
      expect(refusal(condition).message, condition).toMatch(/^The condition (is not valid CEL|must be)/);
    }
  });

  test("prototype properties of the inputs are not fields", () => {
    for (const condition of ["activity.params.constructor != null", "activity.params['__proto__'] != null", "activity.params.permissions.constructor != null", "key.meta.toString != null"]) {
      const decision = evaluatePolicies([policy("ALLOW", condition)], input());
      expect(decision.failures.map((f) => f.message).join(), condition).toMatch(/No such key/);
    }
    expect(evaluatePolicies([policy("ALLOW", "has(activity.params.constructor) || 'constructor' in activity.params || has(key.meta.hasOwnProperty)")], input()).matched).toEqual([]);
  });

  test("the environment declares exactly the six inputs and CEL's standard functions plus count() and any()", () => {
    const definitions = policyEnvironment.getDefinitions();
    const standardDefinitions = new Environment().getDefinitions();
    const standardVariables = new Set(standardDefinitions.variables.map((v) => v.name));
    expect(definitions.variables.map((v) => v.name).filter((name) => !standardVariables.has(name)).sort()).toEqual(["activity", "api", "approvers", "escrow_key", "key", "user"]);
    const standard = new Set(standardDefinitions.functions.map((f: { signature: string }) => f.signature));
    const added = definitions.functions.map((f: { signature: string }) => f.signature).filter((s: string) => !standard.has(s));
    // type() of each declared input type comes with its declaration.
    const typeOf = ["Activity", "Api", "EscrowKey", "Key", "User"].map((t) => `type(${t}): type`);
    expect(added.sort()).toEqual(["list<dyn>.any(ast, ast): bool", "list<dyn>.count(): int", ...typeOf]);
  });
});

describe("bounded evaluation", () => {
  /** Milliseconds `run` takes, and the same for a trivial control measured alongside. */
  function timed(run: () => void): number {
    const start = performance.now();
    run();
    return performance.now() - start;
  }

  test("nesting comprehensions more than two deep is refused at creation", () => {
    expect(refusal("approvers.exists(a, approvers.exists(b, approvers.exists(c, a.id == c.id)))").message).toMatch(/nests comprehensions.*line 1, column 41/);
  });

  test("a value doubled by cel.bind is refused at creation, quickly", () => {
    let doubling = "cel.bind(v0, 'xxxxxxxxxxxxxxxx', v0.size() > 0)";
    for (let i = 1; i <= 20; i++) doubling = doubling.replace(`v${i - 1}.size() > 0`, `cel.bind(v${i}, v${i - 1} + v${i - 1}, v${i}.size() > 0)`);
    expect(doubling.length).toBeLessThan(4096);
    let message = "";
    const ms = timed(() => (message = refusal(doubling).message));
    expect(message).toMatch(/too costly.*\(size\)/);
    const control = timed(() => compilePolicy({ condition: "cel.bind(v, 'x' + 'x', v.size() > 0)" }));
    expect(ms).toBeLessThan(200 + 20 * control);
  });

  test("lists doubled into a DAG (cheap to build, exponential to compare) are stopped by their weight", () => {
    let dag = "cel.bind(l0, [1, 2], l0 == l0)";
    for (let i = 1; i <= 20; i++) dag = dag.replace(`l${i - 1} == l${i - 1}`, `cel.bind(l${i}, [l${i - 1}, l${i - 1}], l${i} == l${i})`);
    expect(refusal(dag).message).toMatch(/too costly.*\(size\)/);
  });

  test("a list built by map() is weighed by what it ends up holding, not as the empty list it began as", () => {
    const ints = Array.from({ length: 200 }, (_, i) => i).join(", ");
    let doubling = `cel.bind(l0, [${ints}], size(l0) == 2)`;
    for (let i = 1; i <= 14; i++) doubling = doubling.replace(`size(l${i - 1}) == 2`, `cel.bind(l${i}, [l${i - 1}, l${i - 1}].map(x, x), size(l${i}) == 2)`);
    expect(refusal(doubling).message).toMatch(/too costly.*\(size\)/);
  });

  test("an expression cheap on the sample but quadratic on a large real input stops within its budget and fails closed", () => {
    const deny = policy("DENY", "activity.params.ids.exists(a, activity.params.ids.exists(b, a == b + 100000))");
    const allow = policy("ALLOW", "activity.params.ids.exists(a, activity.params.ids.exists(b, a == b + 100000)) || true", "true");
    const ids = Array.from({ length: 20_000 }, (_, i) => i);
    const large = input({ activity: { type: "DECRYPT_KEY", params: { ids } } });
    let decision!: ReturnType<typeof evaluatePolicies>;
    const ms = timed(() => (decision = evaluatePolicies([deny, allow], large)));
    expect(decision.denied?.policyId).toBe(deny.id);
    expect(decision.failures.map((f) => f.message)).toEqual([expect.stringContaining("budget"), expect.stringContaining("budget")]);
    // 4·10^8 comparisons unbounded; the budget ends each within a few milliseconds.
    const control = timed(() => evaluatePolicies([policy("DENY", "size(activity.params.ids) > 0")], large));
    expect(ms).toBeLessThan(500 + 20 * control);
  });

  test("the budget's failure is not absorbed by || or &&: the whole evaluation fails", () => {
    const heavy = "activity.params.ids.exists(a, activity.params.ids.exists(b, a == b + 100000))";
    const ids = Array.from({ length: 5_000 }, (_, i) => i);
    const large = input({ activity: { type: "DECRYPT_KEY", params: { ids } } });
    for (const condition of [`${heavy} || true`, `false || ${heavy}`, `!(${heavy} && false)`]) {
      const decision = evaluatePolicies([policy("ALLOW", "true", condition)], large);
      expect(decision.consensusMet, condition).toBe(false);
    }
  });
});
