import { expect, test } from "vitest";
import { Batcher } from "./batcher.ts";

/**
 * A writer that records each batch it is given and answers item × 10, refusing the item 13.
 * While `hold` is set its writes wait for `release()`: what is in flight is then up to the test,
 * not to the machine's speed.
 */
function recordingWriter() {
  const batches: number[][] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  let gate = Promise.resolve();
  let open = () => {};
  const w = {
    batches,
    hold() {
      gate = new Promise<void>((r) => (open = r));
    },
    release: () => open(),
    mostInFlight: () => mostInFlight,
    write: async (batch: number[]) => {
      batches.push(batch);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await gate;
      inFlight--;
      if (batch.includes(13)) throw new Error("13 refused");
      return batch.map((n) => n * 10);
    },
  };
  return w;
}

test("items submitted together share one write, each caller gets its own answer, and at most two writes run at once", async () => {
  const w = recordingWriter();
  const commits = new Batcher(w.write, { retryEachOnFailure: true });
  const first = Array.from({ length: 50 }, (_, i) => 1000 + i);
  const answers = await Promise.all(first.map((n) => commits.submit(n)));
  expect(answers).toEqual(first.map((n) => n * 10));
  expect(w.batches).toEqual([first]); // all submitted in one turn: one write
  // Submitted while two writes are in flight: they wait, and go together into the next one.
  const turn = () => new Promise((r) => setImmediate(r));
  w.hold();
  const a = commits.submit(1);
  await turn(); // a's write starts
  const b = commits.submit(2);
  await turn(); // b's write starts: two in flight
  const waiting = [3, 4, 5].map((n) => commits.submit(n));
  await turn();
  await turn();
  expect(w.batches.slice(1)).toEqual([[1], [2]]); // 3, 4, 5 not written yet
  w.release();
  expect(await Promise.all([a, b, ...waiting])).toEqual([10, 20, 30, 40, 50]);
  expect(w.batches.slice(1)).toEqual([[1], [2], [3, 4, 5]]);
  expect(w.mostInFlight()).toBe(2);
});

test("a batch the writer refuses is written again item by item: only the refused item's caller fails", async () => {
  const w = recordingWriter();
  const commits = new Batcher(w.write, { retryEachOnFailure: true });
  const settled = await Promise.allSettled([11, 12, 13, 14].map((n) => commits.submit(n)));
  expect(settled.map((s) => (s.status === "fulfilled" ? s.value : (s.reason as Error).message))).toEqual([110, 120, "13 refused", 140]);
  expect(w.batches).toEqual([[11, 12, 13, 14], [11], [12], [13], [14]]);
});

test("a lone item that fails rejects with the writer's error, and the writer keeps working after it", async () => {
  const w = recordingWriter();
  const commits = new Batcher(w.write, { retryEachOnFailure: true });
  await expect(commits.submit(13)).rejects.toThrow("13 refused");
  expect(await commits.submit(2)).toBe(20);
  expect(w.batches).toEqual([[13], [2]]);
});

test("without retryEachOnFailure a failed batch fails every caller with its error, in one call", async () => {
  const w = recordingWriter();
  const commits = new Batcher(w.write, { retryEachOnFailure: false });
  const settled = await Promise.allSettled([11, 12, 13].map((n) => commits.submit(n)));
  expect(settled.map((s) => s.status === "rejected" && (s.reason as Error).message)).toEqual(["13 refused", "13 refused", "13 refused"]);
  expect(w.batches).toEqual([[11, 12, 13]]);
});

test("a run answering the wrong number of results fails its callers instead of handing them someone else's", async () => {
  const commits = new Batcher(async (batch: number[]) => batch.slice(1), { retryEachOnFailure: false });
  const settled = await Promise.allSettled([1, 2].map((n) => commits.submit(n)));
  expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected"]);
});
