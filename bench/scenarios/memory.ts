import type { Child } from "../children.ts";
import type { Fixtures } from "../fixtures.ts";
import { sleep, verifyBodies } from "../http.ts";
import { runLoad } from "../load.ts";
import type { Profile } from "../profile.ts";
import { type Row, loadRow, pass } from "../rows.ts";

/**
 * RSS of a cached Keyhold process over many verifies: warm up first (JIT, pools, a full
 * cache), then read RSS from the child over IPC before and after `memoryVerifies` more, each
 * time right after a full garbage collection: what is kept, not how much garbage was waiting
 * (without it, one quick run read +11.6% with a heap of 106 → 131 MB, the next +7.8%).
 * Keys are drawn at random from 12 000, more than the cache's 10 000 entries, so the
 * cache keeps evicting and reloading: the case where a leak would show.
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
  log(`  memory: warm-up ${p.memoryWarmupVerifies.toLocaleString("en-US")} verifies…`);
  await runLoad({ ...spec, amount: p.memoryWarmupVerifies });
  await sleep(500);
  const before = await keyhold.stats({ gc: true });
  log(`  memory: ${p.memoryVerifies.toLocaleString("en-US")} verifies…`);
  const result = await runLoad({ ...spec, amount: p.memoryVerifies });
  await sleep(500);
  const after = await keyhold.stats({ gc: true });
  const growth = (after.rss - before.rss) / before.rss;
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  return loadRow(`RSS over ${p.memoryVerifies.toLocaleString("en-US")} verifies, cached`, result, {
    baseline: `RSS after warm-up (${mb(before.rss)})`,
    ratio: `${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)}% (${mb(after.rss)})`,
    target: "growth < 10%",
    result: pass(growth < 0.1),
    note: `heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)}`,
    data: { before, after },
  });
}
