/**
 * Unkey's override patterns: `*` stands for any run of characters (none included) and every
 * other character for itself, matched against the whole identifier (Unkey turns the pattern
 * into an anchored regular expression, `*` → `.*`, so, as there, `*` does not run across a
 * line break). Matched here without a regular expression, in time linear in
 * identifier × pattern: a pattern such as `*a*a*a…` must not make one limit call backtrack
 * for seconds.
 */
export function isWildcard(pattern: string): boolean {
  return pattern.includes("*");
}

export function matchesWildcard(identifier: string, pattern: string): boolean {
  let i = 0; // position in identifier
  let p = 0; // position in pattern
  let star = -1; // pattern position just after the last `*` seen
  let resume = 0; // identifier position that `*` has consumed up to
  while (i < identifier.length) {
    if (p < pattern.length && pattern[p] !== "*" && pattern[p] === identifier[i]) {
      i++;
      p++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = ++p;
      resume = i;
    } else if (star !== -1 && identifier[resume] !== "\n") {
      // Let the last `*` take one more character, and retry the rest of the pattern from there.
      p = star;
      i = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}
