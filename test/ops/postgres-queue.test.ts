import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

type Q = { length: number; push(x: unknown): unknown; shift(): unknown; remove(x: unknown): unknown };
// The pool's own queue, as every PostgreSQL connection of Keyhold uses it (ESM copy; the CJS and
// Workers copies carry the same patch: patches/postgres+3.4.9.patch). Not a public module: no types.
const queueModule = "../../node_modules/postgres/src/queue.js";
const { default: Queue } = (await import(queueModule)) as { default: (initial?: unknown[]) => Q };

/**
 * postgres.js moves a connection between queues on every query: shift it off `busy`, then
 * `move(c, busy)` removes it (already gone) and pushes it back. Unpatched, shift left a hole
 * and remove scanned from the start, so under sustained load each query scanned every query
 * since the queue last emptied: throughput fell from 32k to 7.5k queries/s within 7 s on this
 * machine. Judged against its own start: the last slice of operations must cost about what
 * the first did (unpatched, the last slice here cost 7.6× the first).
 */
test("the pool queue stays O(1) per query under sustained load (patched postgres.js)", () => {
  const busy = Queue();
  const connections = Array.from({ length: 10 }, (_, i) => ({ i }));
  for (const c of connections) busy.push(c);
  const slice = 20_000;
  const timeSlice = () => {
    const t0 = performance.now();
    for (let n = 0; n < slice; n++) {
      const c = busy.shift();
      busy.remove(c); // what move(c, busy) does first
      busy.push(c);
    }
    return performance.now() - t0;
  };
  timeSlice(); // warm-up (JIT)
  const first = Math.min(timeSlice(), timeSlice());
  for (let n = 0; n < 8; n++) timeSlice(); // 200k operations in, the queue never empty
  const last = Math.min(timeSlice(), timeSlice());
  expect(busy.length).toBe(10);
  expect(last / first, `first slice ${first.toFixed(2)} ms, last ${last.toFixed(2)} ms`).toBeLessThan(4);
});

test("every copy of postgres.js carries the patch (ESM, CommonJS, Workers)", () => {
  for (const copy of ["src", "cjs/src", "cf/src"]) {
    const source = readFileSync(new URL(`../../node_modules/postgres/${copy}/queue.js`, import.meta.url), "utf8");
    expect(source, copy).toContain("xs.indexOf(x, index)");
  }
});
