import autocannon from "autocannon";

/** One HTTP load: fixed connections, fixed duration (or a fixed number of requests). */
export interface LoadSpec {
  url: string;
  method?: "GET" | "POST";
  /** One path, or several used in turn (e.g. query strings with different ids). */
  paths: string[];
  /** JSON bodies used in turn, shared across connections so consecutive requests differ. */
  bodies?: string[];
  headers?: Record<string, string>;
  connections: number;
  durationS: number;
  /** Instead of a duration: stop after this many requests. */
  amount?: number;
  /** Bodies/paths in turn (default), or drawn at random. */
  order?: "turn" | "random";
}

export interface LoadResult {
  rps: number;
  /** Milliseconds, from every response's own timing (autocannon's histogram rounds to whole ms). */
  p50: number;
  p99: number;
  requests: number;
  /** Connection errors, timeouts and non-2xx answers: a run with any is reported, not trusted. */
  failures: number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let next = 0;
  const bodies = spec.bodies;
  const paths = spec.paths;
  const latencies: number[] = [];
  const started = performance.now();
  let finish!: (result: autocannon.Result) => void;
  let fail!: (error: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => ([finish, fail] = [resolve, reject]));
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    ...(spec.amount ? { amount: spec.amount } : { duration: spec.durationS }),
    timeout: 10,
    requests: [
      {
        method: spec.method ?? (bodies ? "POST" : "GET"),
        path: paths[0]!,
        headers: { ...(bodies && { "content-type": "application/json" }), ...spec.headers },
        setupRequest: (request) => {
          const i = spec.order === "random" ? Math.floor(Math.random() * 1e9) : next++;
          return { ...request, path: paths[i % paths.length]!, ...(bodies && { body: bodies[i % bodies.length] }) };
        },
      },
    ],
  }, (error, result) => (error ? fail(error) : finish(result)));
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await done;
  const elapsedS = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rps: result.requests.total / (spec.amount ? elapsedS : spec.durationS),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    requests: result.requests.total,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}

/** A warm-up run (thrown away) and then the measured run. */
export async function measure(spec: LoadSpec, warmupS: number): Promise<LoadResult> {
  if (warmupS > 0) await runLoad({ ...spec, durationS: warmupS, amount: undefined });
  return runLoad(spec);
}

/**
 * Several loads at once (e.g. one per instance), summed: req/s and requests add up;
 * p50/p99 are the worst of the runs, since the latencies of two runs can't be merged
 * from their summaries.
 */
export async function runTogether(specs: LoadSpec[]): Promise<LoadResult> {
  const results = await Promise.all(specs.map(runLoad));
  return {
    rps: sum(results.map((r) => r.rps)),
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
    requests: sum(results.map((r) => r.requests)),
    failures: sum(results.map((r) => r.failures)),
  };
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
