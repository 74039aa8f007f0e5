/**
 * verifyKey's `authorization.permissions`: a permission name, or `{and:[…]}` / `{or:[…]}`
 * of further queries. Names match a key's permissions exactly.
 */
export type PermissionQuery = string | { and: PermissionQuery[] } | { or: PermissionQuery[] };

export const MAX_QUERY_DEPTH = 8;
export const MAX_QUERY_NODES = 256;

/**
 * Shape check without recursion, so a hostile, deeply nested body is refused cleanly
 * instead of overflowing the stack.
 */
export function isPermissionQuery(value: unknown): value is PermissionQuery {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 1 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (++nodes > MAX_QUERY_NODES || depth > MAX_QUERY_DEPTH) return false;
    if (typeof node === "string") {
      if (node.length === 0 || node.length > 512) return false;
      continue;
    }
    if (typeof node !== "object" || node === null || Array.isArray(node)) return false;
    const entries = Object.entries(node);
    if (entries.length !== 1) return false;
    const [op, list] = entries[0]!;
    if ((op !== "and" && op !== "or") || !Array.isArray(list) || list.length === 0) return false;
    for (const child of list) stack.push({ node: child, depth: depth + 1 });
  }
  return true;
}

export function evaluatePermissionQuery(query: PermissionQuery, held: ReadonlySet<string>): boolean {
  if (typeof query === "string") return held.has(query);
  if ("and" in query) return query.and.every((q) => evaluatePermissionQuery(q, held));
  return query.or.some((q) => evaluatePermissionQuery(q, held));
}
