/** How long and how big: `--quick` for CI and a first look, the default for the published figures. */
export interface Profile {
  quick: boolean;
  /** Keys in the database for the main run (`--keys`). */
  keys: number;
  /** The size the scale check compares against. */
  smallKeys: number;
  /** Every ratio is the median of `pairs` interleaved baseline/target runs of `durationS` each (bench/pairs.ts). */
  pairs: number;
  durationS: number;
  /** One warm-up run per side before the first pair. */
  warmupS: number;
  /** Concurrent connections for verify loads, and for admin routes (createKey, getKey, listKeys). */
  verifyConnections: number;
  adminConnections: number;
  memoryWarmupVerifies: number;
  memoryVerifies: number;
  revocationTrials: number;
  cryptoSeconds: number;
}

export function parseProfile(argv: string[]): Profile {
  const quick = argv.includes("--quick");
  const at = argv.indexOf("--keys");
  const keys = at === -1 ? 100_000 : Number(argv[at + 1]?.replaceAll("_", ""));
  const unknown = argv.filter((a, i) => a !== "--quick" && a !== "--keys" && !(i > 0 && argv[i - 1] === "--keys"));
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown[0]}; usage: npm run bench -- [--quick] [--keys N]`);
  if (!Number.isInteger(keys) || keys < 20_000) throw new Error("--keys must be an integer of at least 20000");
  return {
    quick,
    keys,
    smallKeys: 10_000,
    pairs: 5,
    durationS: quick ? 1 : 3,
    warmupS: quick ? 1 : 2,
    verifyConnections: 32,
    adminConnections: 16,
    memoryWarmupVerifies: quick ? 15_000 : 200_000,
    memoryVerifies: quick ? 40_000 : 1_000_000,
    revocationTrials: quick ? 20 : 100,
    cryptoSeconds: quick ? 0.5 : 2,
  };
}
