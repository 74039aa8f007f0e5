/**
 * What a policy sees of one activity, as the activity layer gives it, and its conversion to
 * CEL values, done once per request for all of a workspace's policies.
 */

export interface PolicyUser {
  id: string;
  name: string;
  email?: string | null;
  tags: readonly string[];
}

export interface PolicyInput {
  activity: { type: string; params: Record<string, unknown> };
  /** The API the activity acts on, if any (null: `api.id == ''`). */
  api?: { id: string; name: string; recoveryEnabled: boolean } | null;
  key?: { id: string; apiId: string; name?: string | null; meta?: Record<string, unknown> | null } | null;
  escrow_key?: { id: string; name: string } | null;
  /** Who initiated it. */
  user: PolicyUser;
  /** Distinct users who approved it so far (the initiator's request counts as its approval). */
  approvers: readonly PolicyUser[];
}

/** Nesting beyond this in params or meta fails the evaluation (closed) rather than the stack. */
export const MAX_INPUT_DEPTH = 64;

export class InputTooDeep extends Error {
  constructor() {
    super(`The activity's parameters nest deeper than ${MAX_INPUT_DEPTH} levels.`);
    this.name = "InputTooDeep";
  }
}

const EMPTY_API = { id: "", name: "", recoveryEnabled: false };
const EMPTY_KEY = { id: "", apiId: "", name: "", meta: {} };
const EMPTY_ESCROW_KEY = { id: "", name: "" };

/** The CEL context: absent entities with empty fields, optional strings as '', JSON numbers as CEL values. */
export function toCelContext(input: PolicyInput): Record<string, unknown> {
  const key = input.key;
  return {
    activity: { type: input.activity.type, params: toCelValue(input.activity.params, 0) },
    api: input.api ?? EMPTY_API,
    key: key ? { id: key.id, apiId: key.apiId, name: key.name ?? "", meta: toCelValue(key.meta ?? {}, 0) } : EMPTY_KEY,
    escrow_key: input.escrow_key ?? EMPTY_ESCROW_KEY,
    user: toCelUser(input.user),
    approvers: input.approvers.map(toCelUser),
  };
}

function toCelUser(user: PolicyUser) {
  return { id: user.id, name: user.name, email: user.email ?? "", tags: [...user.tags] };
}

/**
 * JSON as CEL sees it. A JSON number is a JS double, and CEL does not compare a double with
 * an int literal (`params.remaining == 5` would be a type error at runtime), so integral
 * numbers within 2^53 become CEL ints (BigInt); others stay doubles. Objects become maps
 * without a prototype; undefined and non-JSON values are left out.
 */
function toCelValue(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case "number":
      return Number.isSafeInteger(value) ? BigInt(value) : value;
    case "string":
    case "boolean":
    case "bigint":
      return value;
    case "object": {
      if (value === null) return null;
      if (depth >= MAX_INPUT_DEPTH) throw new InputTooDeep();
      if (Array.isArray(value)) return value.map((item) => toCelValue(item, depth + 1) ?? null);
      const map: Record<string, unknown> = Object.create(null);
      for (const [k, v] of Object.entries(value)) {
        const converted = toCelValue(v, depth + 1);
        if (converted !== undefined) map[k] = converted;
      }
      return map;
    }
    default:
      return undefined;
  }
}
