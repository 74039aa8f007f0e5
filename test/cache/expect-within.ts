/** Polls `check` until it holds; fails if it does not within `ms`. Returns the time it took. */
export async function expectWithin(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (await check()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not seen within ${ms} ms`);
}
