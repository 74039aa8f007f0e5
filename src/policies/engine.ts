import { KeyholdError } from "../errors.ts";
import { policyEnvironment } from "./cel-environment.ts";
import { BudgetExceeded, runWithinBudget } from "./evaluation-budget.ts";
import { type PolicyInput, toCelContext } from "./policy-input.ts";
import { checkStructure } from "./expression-structure.ts";
import { SAMPLE_CONTEXT } from "./sample-input.ts";

export type { PolicyInput, PolicyUser } from "./policy-input.ts";

/**
 * The policy engine: CEL conditions and consensus expressions, compiled once (parsed,
 * type-checked against the declared inputs, bounded) and evaluated on every controlled
 * request, synchronously, within a budget (evaluation-budget.ts).
 *
 * Failing closed: an evaluation that fails (a missing params key, a non-boolean result, the
 * budget exceeded, a policy stored before a rule that now rejects it) never loosens control.
 * A DENY whose condition fails denies; an ALLOW whose condition fails is taken to apply (its
 * consensus is then required); a consensus that fails is not met. Conditions that should not
 * apply to activities lacking a field say so: `has(activity.params.recoverable) && …`.
 */

export const MAX_EXPRESSION_LENGTH = 4096;
export type PolicyEffect = "ALLOW" | "DENY";
export type ExpressionName = "condition" | "consensus";

export interface PolicySource {
  condition: string;
  /** Absent, null or empty: always met. */
  consensus?: string | null;
}

/** A checked expression, ready to evaluate against a CEL context. */
export type Program = (context: Record<string, unknown>) => unknown;

export interface CompiledExpressions {
  condition: Program;
  consensus: Program | null;
}

export interface CompiledPolicy extends CompiledExpressions {
  id: string;
  name: string;
  effect: PolicyEffect;
}

export interface PolicyDecision {
  /** The first matching DENY: the request is refused. */
  denied?: { policyId: string; name: string };
  /** Some ALLOW matched (its consensus decides whether the request runs now). */
  allowMatched: boolean;
  /** Some matching ALLOW's consensus holds (false when none matched). */
  consensusMet: boolean;
  /** Ids of every policy whose condition matched (or failed, which counts as matching). */
  matched: string[];
  /** Evaluations that failed, for the log: each was decided closed as described above. */
  failures: { policyId: string; expression: ExpressionName; message: string }[];
}

/** Parses and type-checks both expressions; any problem is a 400 naming the expression and where. */
export function compilePolicy(source: PolicySource): CompiledExpressions {
  const consensus = source.consensus?.trim() ? source.consensus : null;
  return { condition: compileExpression("condition", source.condition), consensus: consensus === null ? null : compileExpression("consensus", consensus) };
}

function compileExpression(name: ExpressionName, source: string): Program {
  if (source.length > MAX_EXPRESSION_LENGTH) throw invalid(name, `is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  if (source.trim() === "") throw invalid(name, "is empty");
  let parsed: ReturnType<typeof policyEnvironment.parse>;
  try {
    parsed = policyEnvironment.parse(source);
  } catch (error) {
    throw celError(name, source, error);
  }
  const checked = parsed.check();
  if (!checked.valid) throw celError(name, source, checked.error);
  if (checked.type !== "bool" && checked.type !== "dyn") throw invalid(name, `must be a boolean expression, not ${checked.type}`);
  const problem = checkStructure(parsed.ast);
  if (problem) throw invalid(name, problem.message, position(source, problem.offset));
  const program: Program = (context) => parsed(context);
  // Statically: an expression that exceeds the budget on a large sample input never passes.
  const trial = runWithinBudget(() => program(SAMPLE_CONTEXT));
  if (!trial.ok && trial.error instanceof BudgetExceeded) throw invalid(name, `is too costly to evaluate: on a large sample input it exceeds the evaluation budget (${trial.error.what})`);
  return program;
}

/**
 * Any matching DENY wins; otherwise the ALLOWs that match say whether consensus is needed
 * and met. Pure and synchronous: the input is converted once for all policies.
 */
export function evaluatePolicies(policies: readonly CompiledPolicy[], input: PolicyInput): PolicyDecision {
  const decision: PolicyDecision = { allowMatched: false, consensusMet: false, matched: [], failures: [] };
  if (policies.length === 0) return decision;
  let context: Record<string, unknown> | null;
  try {
    context = toCelContext(input);
  } catch (error) {
    context = null; // unconvertible input: every evaluation fails (closed)
    decision.failures.push({ policyId: "*", expression: "condition", message: messageOf(error) });
  }
  const test = (policy: CompiledPolicy, expression: ExpressionName, program: Program): boolean | null => {
    if (!context) return null;
    const outcome = runWithinBudget(() => program(context));
    if (outcome.ok && typeof outcome.value === "boolean") return outcome.value;
    decision.failures.push({ policyId: policy.id, expression, message: outcome.ok ? "The result is not a boolean." : messageOf(outcome.error) });
    return null;
  };
  for (const policy of policies) {
    if (test(policy, "condition", policy.condition) === false) continue;
    decision.matched.push(policy.id);
    if (policy.effect === "DENY") decision.denied ??= { policyId: policy.id, name: policy.name };
    else decision.allowMatched = true;
  }
  if (decision.denied) return decision;
  for (const policy of policies) {
    if (policy.effect !== "ALLOW" || !decision.matched.includes(policy.id)) continue;
    if (policy.consensus === null || test(policy, "consensus", policy.consensus) === true) {
      decision.consensusMet = true;
      break;
    }
  }
  return decision;
}

function invalid(name: ExpressionName, what: string, where?: string): KeyholdError {
  return new KeyholdError("BAD_REQUEST", `The ${name} ${what}${where ? ` (${where})` : ""}.`);
}

/** cel-js's parse and type errors carry a source range; anything else it throws on odd input has none. */
function celError(name: ExpressionName, source: string, error: unknown): KeyholdError {
  const cel = error as { summary?: unknown; range?: { start?: unknown } } | null;
  const summary = typeof cel?.summary === "string" ? cel.summary : "could not be parsed";
  const start = cel?.range?.start;
  const where = typeof start === "number" ? position(source, start) : undefined;
  return new KeyholdError("BAD_REQUEST", `The ${name} is not valid CEL${where ? ` at ${where}` : ""}: ${summary}`, { cause: error });
}

/** "line L, column C" (both from 1) of a UTF-16 offset. */
export function position(source: string, offset: number): string {
  const before = source.slice(0, Math.max(0, offset));
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return `line ${line}, column ${column}`;
}

function messageOf(error: unknown): string {
  const summary = (error as { summary?: unknown } | null)?.summary;
  if (typeof summary === "string") return summary;
  return error instanceof Error ? error.message : String(error);
}
