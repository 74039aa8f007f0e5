import type { Child } from "../children.ts";
import type { Fixtures } from "../fixtures.ts";
import { sleep, verifyBodies } from "../http.ts";
import { type LoadResult, runLoad } from "../load.ts";
import type { Profile } from "../profile.ts";
import { type Row, loadRow, pass } from "../rows.ts";

/** Readings taken over the judged stretch, its start and end included. */
const READINGS = 5;

/**
 * RSS of a cached Keyhold process over many verifies: warm up first (JIT, pools, a full
 * cache), let it settle over `memoryVerifies` more, then read RSS from the child over IPC
 * `READINGS` times over another `memoryVerifies`, each right after a full garbage collection
 * (what is kept, not how much garbage was waiting). Judged on the least-squares trend of
 * those readings: a leak keeps growing, while glibc's allocator moves RSS up and down by
 * ±5–10% between any two readings with the heap flat (session 11: 186–216 MB over 440 000
 * verifies, heap 43–47 MB), which a difference of two readings took for a leak (+10.7% and
 * +12.5% in two quick runs). Keys are drawn at random from 12 000, more than the cache's
 * 10 000 entries, so the cache keeps evicting and reloading: the case where a leak would show.
 */
export async function memoryScenario(p: Profile, fx: Fixtures, keyhold: Child, url: string, log: (s: string) => void): Promise<Row> {
  const spec = {
    url,
    paths: ["/v1/keys.verifyKey"],
    bodies: verifyBodies(fx.memory),
    connections: p.verifyConnections,
    durationS: 0,
    order: "random" as const,
  };
  const settled = async () => {
    await sleep(500);
    return keyhold.stats({ gc: true });
  };
  const verifies = p.memoryVerifies.toLocaleString("en-US");
  log(`  memory: warm-up ${p.memoryWarmupVerifies.toLocaleString("en-US")} verifies, then ${verifies} to settle…`);
  await runLoad({ ...spec, amount: p.memoryWarmupVerifies });
  const start = await settled();
  await runLoad({ ...spec, amount: p.memoryVerifies });
  log(`  memory: ${verifies} verifies, ${READINGS} readings…`);
  const step = Math.round(p.memoryVerifies / (READINGS - 1));
  const readings = [await settled()];
  const results: LoadResult[] = [];
  for (let i = 1; i < READINGS; i++) {
    results.push(await runLoad({ ...spec, amount: step }));
    readings.push(await settled());
  }
  const first = readings[0]!;
  const last = readings.at(-1)!;
  const mean = readings.reduce((sum, r) => sum + r.rss, 0) / READINGS;
  // The trend's growth over the whole stretch, relative to the mean RSS.
  const growth = (slope(readings.map((r) => r.rss)) * (READINGS - 1)) / mean;
  const percent = (g: number) => `${g >= 0 ? "+" : ""}${(g * 100).toFixed(1)}%`;
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)}`;
  const result = combine(results);
  return loadRow(`RSS trend over ${verifies} verifies, cached`, result, {
    baseline: `mean RSS ${mb(mean)} MB`,
    ratio: `${percent(growth)} (readings ${readings.map((r) => mb(r.rss)).join(", ")} MB)`,
    target: "growth < 10%",
    result: pass(growth < 0.1),
    note: `${READINGS} readings after a full GC, after ${verifies} to settle (${mb(start.rss)} → ${mb(first.rss)} MB); heap ${mb(first.heapUsed)} → ${mb(last.heapUsed)} MB`,
    data: { start, readings },
  });
}

/** The least-squares slope of equally spaced values, per step. */
function slope(values: number[]): number {
  const n = values.length;
  const mid = (n - 1) / 2;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((v, i) => {
    num += (i - mid) * (v - mean);
    den += (i - mid) ** 2;
  });
  return num / den;
}

/** One load result for the runs of the stretch: requests summed, latencies the worst run's. */
function combine(results: LoadResult[]): LoadResult {
  const requests = results.reduce((sum, r) => sum + r.requests, 0);
  const seconds = results.reduce((sum, r) => sum + r.requests / r.rps, 0);
  return {
    ...results[0]!,
    requests,
    rps: requests / seconds,
    failures: results.reduce((sum, r) => sum + r.failures, 0),
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
  };
}
