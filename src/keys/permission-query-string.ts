import { MAX_QUERY_DEPTH, MAX_QUERY_NODES, type PermissionQuery } from "./permission-query.ts";

/**
 * v2's `permissions` string, e.g. `"a AND (b OR c)"`, parsed into the same PermissionQuery
 * tree v1 sends as JSON, so both are evaluated by one function (permission-query.ts).
 *
 * The grammar is Unkey's (pkg/rbac, lexer.go and parser.go):
 *
 *   query   = or EOF
 *   or      = and ("OR" and)*
 *   and     = primary ("AND" primary)*
 *   primary = NAME | "(" or ")"
 *
 * AND binds tighter than OR; AND and OR are keywords in any case ("and", "Or") when they
 * stand alone, so `ANDROID` is a name; a NAME is a run of ASCII letters, digits and
 * `. _ - * : /` (`*` is a literal character, not a wildcard); spaces, tabs and line breaks
 * separate tokens. A chain of one operator is one node (`a AND b AND c` is `{and: [a, b, c]}`);
 * parentheses always keep their own node, so printing a tree with every operand group in
 * parentheses and parsing it back gives the same tree.
 *
 * Bounded like the JSON form: at most MAX_QUERY_STRING_LENGTH characters (Unkey's 1000),
 * names of at most MAX_NAME_LENGTH, parentheses and tree at most MAX_QUERY_DEPTH deep,
 * at most MAX_QUERY_NODES names and operators. The parser recurses only at a parenthesis,
 * and the nesting bound is checked before it does.
 */
export const MAX_QUERY_STRING_LENGTH = 1000;
/** The JSON form's bound on one name (isPermissionQuery). */
const MAX_NAME_LENGTH = 512;

/** A query that can't be parsed; `position` is the 0-based index in the input where it failed. */
export class PermissionQuerySyntaxError extends Error {
  constructor(
    readonly position: number,
    readonly reason: string,
  ) {
    super(`syntax error at position ${position}: ${reason}`);
    this.name = "PermissionQuerySyntaxError";
  }
}

type Token =
  | { kind: "name"; text: string; at: number }
  | { kind: "and" | "or"; text: string; at: number }
  | { kind: "(" | ")"; at: number }
  | { kind: "end"; at: number };

const NAME_CHAR = /[A-Za-z0-9._\-*:/]/;
const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (WHITESPACE.has(ch)) {
      i++;
    } else if (ch === "(" || ch === ")") {
      tokens.push({ kind: ch, at: i++ });
    } else if (NAME_CHAR.test(ch)) {
      const at = i;
      while (i < input.length && NAME_CHAR.test(input[i]!)) i++;
      const text = input.slice(at, i);
      const keyword = text.toUpperCase();
      if (keyword === "AND" || keyword === "OR") tokens.push({ kind: keyword === "AND" ? "and" : "or", text, at });
      else if (text.length > MAX_NAME_LENGTH) throw new PermissionQuerySyntaxError(at, `the permission name is longer than ${MAX_NAME_LENGTH} characters`);
      else tokens.push({ kind: "name", text, at });
    } else {
      throw new PermissionQuerySyntaxError(
        i,
        `unexpected character ${JSON.stringify(ch)}; a permission name has only letters, digits and . _ - * : /, and names are joined with AND, OR and parentheses`,
      );
    }
  }
  tokens.push({ kind: "end", at: input.length });
  return tokens;
}

function describe(token: Token): string {
  if (token.kind === "end") return "the end of the query";
  return `'${"text" in token ? token.text : token.kind}'`;
}

class Parser {
  private next = 0;
  private nodes = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): PermissionQuery {
    const query = this.or(0);
    const rest = this.peek();
    if (rest.kind !== "end") {
      const hint = rest.kind === ")" ? "a ')' without its '('" : "AND or OR between names";
      throw new PermissionQuerySyntaxError(rest.at, `unexpected ${describe(rest)}; expected ${hint}`);
    }
    return query;
  }

  private peek(): Token {
    return this.tokens[this.next]!;
  }

  private count(at: number): void {
    if (++this.nodes > MAX_QUERY_NODES) {
      throw new PermissionQuerySyntaxError(at, `the query has more than ${MAX_QUERY_NODES} names and operators`);
    }
  }

  private or(parens: number): PermissionQuery {
    return this.chain("or", () => this.and(parens));
  }

  private and(parens: number): PermissionQuery {
    return this.chain("and", () => this.primary(parens));
  }

  /** `operand (op operand)*`: one operand stands for itself, several make one node. */
  private chain(op: "and" | "or", operand: () => PermissionQuery): PermissionQuery {
    const first = operand();
    if (this.peek().kind !== op) return first;
    this.count(this.peek().at);
    const operands = [first];
    while (this.peek().kind === op) {
      this.next++;
      operands.push(operand());
    }
    return op === "and" ? { and: operands } : { or: operands };
  }

  private primary(parens: number): PermissionQuery {
    const token = this.peek();
    if (token.kind === "name") {
      this.next++;
      this.count(token.at);
      return token.text;
    }
    if (token.kind === "(") {
      if (parens >= MAX_QUERY_DEPTH) throw new PermissionQuerySyntaxError(token.at, `parentheses are nested more than ${MAX_QUERY_DEPTH} deep`);
      this.next++;
      if (this.peek().kind === ")") throw new PermissionQuerySyntaxError(this.peek().at, "empty parentheses; put a permission name or an expression inside");
      const inner = this.or(parens + 1);
      const close = this.peek();
      if (close.kind !== ")") {
        throw new PermissionQuerySyntaxError(close.at, `expected ')' to close the '(' at position ${token.at}, found ${describe(close)}`);
      }
      this.next++;
      return inner;
    }
    if (token.kind === "end") throw new PermissionQuerySyntaxError(token.at, "the query ends early; expected a permission name or '('");
    const hint = token.kind === "and" || token.kind === "or" ? " (AND and OR go between two names or groups)" : "";
    throw new PermissionQuerySyntaxError(token.at, `unexpected ${describe(token)}; expected a permission name or '('${hint}`);
  }
}

/** The tree's depth as isPermissionQuery counts it: a lone name is 1. */
function depthOf(query: PermissionQuery): number {
  if (typeof query === "string") return 1;
  const operands = "and" in query ? query.and : query.or;
  return 1 + Math.max(...operands.map(depthOf));
}

/** Parses v2's permission query string; throws PermissionQuerySyntaxError saying where and why. */
export function parsePermissionQuery(input: string): PermissionQuery {
  if (input.length > MAX_QUERY_STRING_LENGTH) {
    throw new PermissionQuerySyntaxError(MAX_QUERY_STRING_LENGTH, `the query is longer than ${MAX_QUERY_STRING_LENGTH} characters`);
  }
  const tokens = tokenize(input);
  if (tokens.length === 1) throw new PermissionQuerySyntaxError(0, "the query is empty; expected a permission name or '('");
  const query = new Parser(tokens).parse();
  // Bounded already: parentheses nest at most MAX_QUERY_DEPTH deep, so this recursion is shallow.
  const depth = depthOf(query);
  if (depth > MAX_QUERY_DEPTH) throw new PermissionQuerySyntaxError(0, `the query is nested ${depth} levels deep; at most ${MAX_QUERY_DEPTH}`);
  return query;
}
