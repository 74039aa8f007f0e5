import type { Environment } from "@marcbachmann/cel-js";

/**
 * What one expression may spend on one evaluation. cel-js bounds only the parse (AST size,
 * depth); CEL has no loops, but a comprehension inside a comprehension over large lists, or a
 * string or list doubled through `cel.bind`, can still cost time or memory exponential in the
 * expression's length. So every node evaluation is counted and every value an expression
 * builds is weighed (its size as a tree: a list holding the same list twice weighs it twice,
 * which is what comparing it would cost):
 *
 * - `steps`: node evaluations (a comprehension's body counts once per element);
 * - `weight`: the largest value built: 1 per element, plus a string's or bytes' length;
 * - `ms`: wall-clock backstop, checked every 1024 steps.
 *
 * Exceeding any of them ends the evaluation with BudgetExceeded, and the whole evaluation
 * counts as failed even where CEL would have absorbed the error (`err || true` is true in
 * CEL; here it is a failure): see `runWithinBudget`.
 */
export const EVALUATION_BUDGET = { steps: 50_000, weight: 2_000_000, ms: 50 };

export class BudgetExceeded extends Error {
  constructor(readonly what: "steps" | "time" | "size") {
    super(`The expression exceeded its evaluation budget (${what}).`);
    this.name = "BudgetExceeded";
  }
}

interface Node {
  op: string;
  evaluate(ev: unknown, node: Node, ctx: unknown): unknown;
}

let steps = 0;
let deadline = 0;
let exceeded: BudgetExceeded | null = null;

/** Ops whose value is new (built by the expression); the rest hand on a value already weighed or an input. */
const BUILDING_OPS = new Set(["list", "map", "+", "call", "rcall"]);

function stop(what: BudgetExceeded["what"]): never {
  steps = 0;
  throw (exceeded ??= new BudgetExceeded(what));
}

/**
 * Puts the counter in front of the environment's evaluator. cel-js evaluates every child
 * node through `evaluator.run(node, ctx)` (its operators, macros and comprehensions alike),
 * so replacing `run` on the environment's own evaluator instance sees every step. The
 * evaluator is private to the Environment; a probe expression's root is given it.
 */
export function installBudget(env: Environment): void {
  const probe = env.parse("true") as unknown as { ast: Node } & ((ctx: object) => unknown);
  let evaluator: { run: (node: Node, ctx: unknown) => unknown } | undefined;
  probe.ast.evaluate = (ev) => ((evaluator = ev as typeof evaluator), true);
  probe({});
  if (!evaluator || typeof evaluator.run !== "function") throw new Error("cel-js: no evaluator to bound");
  evaluator.run = function boundedRun(node, ctx) {
    if (--steps < 0) stop("steps");
    if ((steps & 1023) === 0 && performance.now() > deadline) stop("time");
    const value = node.evaluate(this, node, ctx);
    if ((typeof value === "object" || typeof value === "string") && value !== null && BUILDING_OPS.has(node.op)) {
      if (weigh(value) > EVALUATION_BUDGET.weight) stop("size");
    }
    return value;
  };
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs one evaluation within the budget. Synchronous: the counters are this call's alone. */
export function runWithinBudget<T>(evaluate: () => T): Outcome<T> {
  steps = EVALUATION_BUDGET.steps;
  deadline = performance.now() + EVALUATION_BUDGET.ms;
  exceeded = null;
  try {
    const value = evaluate();
    return exceeded ? { ok: false, error: exceeded } : { ok: true, value };
  } catch (error) {
    return { ok: false, error: exceeded ?? error };
  }
}

/** Weights of containers already weighed: inputs are weighed once, built values as they are built. */
const weights = new WeakMap<object, number>();

/**
 * The size of `value` as a tree, stopping once it passes the budget. Iterative (an input's
 * JSON may nest deeply) and memoised, so a value built from weighed parts costs its own
 * length, not theirs again. A container met again while being weighed (a cycle, which data
 * never has) counts 1.
 */
export function weigh(value: unknown): number {
  const limit = EVALUATION_BUDGET.weight;
  const stack: { container: object; parts: readonly unknown[]; index: number; total: number }[] = [];
  const open = new Set<object>();
  let next = value;
  for (;;) {
    const leaf = leafWeight(next, open);
    if (typeof leaf !== "number") {
      const container = next as object;
      open.add(container);
      stack.push({ container, parts: leaf, index: 0, total: 1 });
    } else {
      const top = stack.at(-1);
      if (!top) return leaf;
      top.total = Math.min(top.total + leaf, limit + 1);
    }
    // The next part to weigh, closing every container whose parts are all weighed.
    for (;;) {
      const top = stack.at(-1)!;
      if (top.index < top.parts.length && top.total <= limit) {
        next = top.parts[top.index++];
        break;
      }
      stack.pop();
      open.delete(top.container);
      // Not an empty one: cel-js fills a comprehension's result in place, starting from an empty list.
      if (top.parts.length > 0) weights.set(top.container, top.total);
      const parent = stack.at(-1);
      if (!parent) return top.total;
      parent.total = Math.min(parent.total + top.total, limit + 1);
    }
  }
}

/** The weight of a value that needs no descent, or the parts of a container still to weigh. */
function leafWeight(value: unknown, open: Set<object>): number | readonly unknown[] {
  if (typeof value === "string") return 1 + value.length;
  if (typeof value !== "object" || value === null) return 1;
  if (value instanceof Uint8Array) return 1 + value.length;
  const known = weights.get(value);
  if (known !== undefined) return known;
  if (open.has(value)) return 1;
  return partsOf(value) ?? 1;
}

/** The parts of a data container (lists, maps, objects, cel-js's typed maps); anything else is opaque. */
function partsOf(container: object): readonly unknown[] | undefined {
  if (Array.isArray(container)) return container;
  if (container instanceof Set) return [...container];
  if (container instanceof Map) return [...container].flat();
  const proto = Object.getPrototypeOf(container);
  if (proto === Object.prototype || proto === null) return Object.entries(container).flat();
  return undefined;
}
