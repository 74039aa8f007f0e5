/**
 * `text` with each of its last `count` characters replaced by a different one ('x', or 'y'
 * where it was an 'x'): a tampered secret that can never equal the original. Writing a fixed
 * tail ("…xx") instead reproduces the original whenever it already ended that way
 * (1 in 3,364 for base58), and a test then fails for no reason.
 */
export function tamperTail(text: string, count: number): string {
  const tail = [...text.slice(-count)].map((c) => (c === "x" ? "y" : "x")).join("");
  return text.slice(0, -count) + tail;
}
