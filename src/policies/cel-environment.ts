import { Environment } from "@marcbachmann/cel-js";
import { installBudget } from "./evaluation-budget.ts";

/**
 * The one CEL environment every policy is parsed, checked and evaluated in. It declares the
 * inputs a policy sees and nothing else: an unknown identifier (`process`, `globalThis`,
 * `require`) is a type error, and the only functions are CEL's standard ones plus the two
 * spellings Turnkey's policy language uses for them (`list.count()` = `size(list)`,
 * `list.any(x, p)` = `list.exists(x, p)`). Absent entities (an activity about no API) are
 * given with empty fields (`api.id == ''`), so a condition naming them is simply false there.
 */

/** Parse-time bounds: a 4 KiB expression needs no more (cel-js's defaults are far larger). */
export const PARSE_LIMITS = { maxAstNodes: 1024, maxDepth: 48, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 8 };

const USER_FIELDS = { id: "string", name: "string", email: "string", tags: "list<string>" };

export const policyEnvironment = new Environment({ limits: PARSE_LIMITS })
  .registerType("User", { fields: USER_FIELDS })
  .registerType("Activity", { fields: { type: "string", params: "map<string, dyn>" } })
  .registerType("Api", { fields: { id: "string", name: "string", recoveryEnabled: "bool" } })
  .registerType("Key", { fields: { id: "string", apiId: "string", name: "string", meta: "map<string, dyn>" } })
  .registerType("EscrowKey", { fields: { id: "string", name: "string" } })
  .registerVariable("activity", "Activity")
  .registerVariable("api", "Api")
  .registerVariable("key", "Key")
  .registerVariable("escrow_key", "EscrowKey")
  .registerVariable("user", "User")
  .registerVariable("approvers", "list<User>")
  .registerFunction("list.count(): int", (list: unknown[]) => BigInt(list.length))
  // A macro: at parse time `any` becomes exactly the comprehension `exists` builds.
  .registerFunction("list.any(ast, ast): bool", (macro: MacroInput) => macro.parser.registry.findMacro("exists", true, 2).handler({ ...macro, methodName: "exists" }));

interface MacroInput {
  parser: { registry: { findMacro(name: string, receiver: boolean, arity: number): { handler(input: MacroInput): unknown } } };
  methodName: string;
}

installBudget(policyEnvironment);
