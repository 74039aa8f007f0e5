import type { KeyRatelimit } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { newId } from "../ids.ts";

export type { KeyRatelimit };

/**
 * A key's named rate limits. v2 sets the whole list (`ratelimits`); v1 knows one limit per
 * key (`ratelimit`), which is the one named "default". Both edit the same stored list, so a
 * key made through one version keeps its limits when read or changed through the other.
 */
export const DEFAULT_RATELIMIT = "default";
export const MAX_RATELIMITS_PER_KEY = 20;

/** What a caller asks for: a limit by name; the stored id is Keyhold's. */
export interface RatelimitSetting {
  name: string;
  limit: number;
  duration: number;
  autoApply?: boolean;
  async?: boolean;
}

/** v1's limit: the one named "default", if the key has it. */
export function defaultRatelimit(list: readonly KeyRatelimit[]): KeyRatelimit | undefined {
  return list.find((r) => r.name === DEFAULT_RATELIMIT);
}

/**
 * The stored list for a full replacement (v2). A name kept keeps its id (so a client that
 * stored it can still refer to it); duplicate names are refused rather than one dropped.
 */
export function replaceRatelimits(
  previous: readonly KeyRatelimit[],
  wanted: readonly RatelimitSetting[],
  bound: { max: number; owner: string } = { max: MAX_RATELIMITS_PER_KEY, owner: "A key" },
): KeyRatelimit[] {
  if (wanted.length > bound.max) {
    throw new KeyholdError("BAD_REQUEST", `${bound.owner} has at most ${bound.max} rate limits.`);
  }
  const seen = new Set<string>();
  return wanted.map((w) => {
    if (seen.has(w.name)) throw new KeyholdError("BAD_REQUEST", `ratelimits: the name "${w.name}" appears twice.`);
    seen.add(w.name);
    const id = previous.find((p) => p.name === w.name)?.id ?? newId("rl");
    return {
      id,
      name: w.name,
      limit: w.limit,
      duration: w.duration,
      // v1 always applied its one limit; v2 defaults to the same unless told otherwise.
      autoApply: w.autoApply ?? true,
      ...(w.async !== undefined && { async: w.async }),
    };
  });
}

/** v1's edit: sets or clears the limit named "default", leaving every other name alone. */
export function setDefaultRatelimit(previous: readonly KeyRatelimit[], wanted: Omit<RatelimitSetting, "name"> | null): KeyRatelimit[] {
  const others = previous.filter((r) => r.name !== DEFAULT_RATELIMIT);
  if (wanted === null) return others;
  const [entry] = replaceRatelimits(previous, [{ ...wanted, name: DEFAULT_RATELIMIT, autoApply: true, async: wanted.async ?? false }]);
  return [...others, entry!];
}

/** Names whose window length changed: their counters restart, since a window of another length is not comparable. */
export function ratelimitsWithNewWindows(previous: readonly KeyRatelimit[], next: readonly KeyRatelimit[]): string[] {
  return previous.filter((p) => next.find((n) => n.name === p.name)?.duration !== p.duration).map((p) => p.name);
}
