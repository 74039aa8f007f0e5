/**
 * Rules on an expression's shape that CEL's type checker does not make, checked on the parsed
 * AST once at creation:
 *
 * - no `matches()`: its regular expression runs on JavaScript's backtracking engine, where a
 *   pattern such as `(a+)+$` takes exponential time on one call that no step budget can
 *   interrupt;
 * - comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`, `any`) nest at most
 *   MAX_COMPREHENSION_NESTING deep, since each level multiplies the work by a list's length.
 */

export const MAX_COMPREHENSION_NESTING = 2;

const COMPREHENSIONS = new Set(["all", "exists", "exists_one", "map", "filter", "any"]);
const FORBIDDEN_FUNCTIONS: Record<string, string> = {
  matches: "uses matches(), which is not available (a regular expression can take unbounded time); use startsWith, endsWith or contains",
};

interface AstNode {
  op: string;
  args: unknown;
  start: number;
}

export interface StructureProblem {
  message: string;
  offset: number;
}

const isNode = (value: unknown): value is AstNode => typeof value === "object" && value !== null && typeof (value as AstNode).op === "string";

/** The first rule the expression breaks, or null. */
export function checkStructure(root: unknown): StructureProblem | null {
  // Iterative: the parser bounds depth, but an explicit stack costs nothing and fears nothing.
  const stack: { node: AstNode; depth: number }[] = isNode(root) ? [{ node: root, depth: 0 }] : [];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    const call = callOf(node);
    if (call && FORBIDDEN_FUNCTIONS[call.name]) return { message: FORBIDDEN_FUNCTIONS[call.name]!, offset: node.start };
    if (call?.receiver && COMPREHENSIONS.has(call.name) && (call.args.length === 2 || call.args.length === 3)) {
      if (depth + 1 > MAX_COMPREHENSION_NESTING) {
        return { message: `nests comprehensions more than ${MAX_COMPREHENSION_NESTING} deep`, offset: node.start };
      }
      stack.push({ node: call.receiver, depth });
      for (const arg of call.args) stack.push({ node: arg, depth: depth + 1 });
      continue;
    }
    for (const child of childrenOf(node.args)) stack.push({ node: child, depth });
  }
  return null;
}

/** A call's name, receiver and arguments: `call` is [name, args], `rcall` [name, receiver, args]. */
function callOf(node: AstNode): { name: string; receiver: AstNode | null; args: AstNode[] } | null {
  if (!Array.isArray(node.args) || typeof node.args[0] !== "string") return null;
  if (node.op === "call") return { name: node.args[0], receiver: null, args: (node.args[1] as unknown[]).filter(isNode) };
  if (node.op === "rcall") return { name: node.args[0], receiver: isNode(node.args[1]) ? node.args[1] : null, args: (node.args[2] as unknown[]).filter(isNode) };
  return null;
}

/** Every AST node among a node's arguments, however they are nested (lists, map entries). */
function childrenOf(args: unknown): AstNode[] {
  if (isNode(args)) return [args];
  if (!Array.isArray(args)) return [];
  return args.flatMap((a) => childrenOf(a));
}
