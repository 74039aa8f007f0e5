// Test-only preload (NODE_OPTIONS="--expose-gc --require …/heap-probe.cjs"): on SIGUSR2 the
// process runs a full garbage collection and prints the JS heap it still holds. RSS alone
// depends on when V8 last collected and how far it grew its heap meanwhile, which a busy
// machine changes; the heap retained after a full collection is what the process keeps.
"use strict";
process.on("SIGUSR2", () => {
  globalThis.gc();
  globalThis.gc(); // a second pass frees what the first one's finalizers released
  const { heapUsed, external, arrayBuffers } = process.memoryUsage();
  process.stdout.write(`[heap-probe] ${JSON.stringify({ heapUsed, external, arrayBuffers })}\n`);
});
