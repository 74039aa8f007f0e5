/**
 * A strict reader of the Prometheus text format (0.0.4), enough to prove an exposition
 * parses: every line is a HELP/TYPE comment or a sample, every sample's family has a TYPE.
 */
export type Samples = Map<string, number>;

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\])*",?)*\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|\+Inf|-Inf))$/;
const typeLine = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/;

/** Samples keyed by `name{labels}` (labels sorted); throws on any line that is not valid. */
export function parsePrometheus(text: string): Samples {
  const samples: Samples = new Map();
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) continue;
    const type = line.match(typeLine);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const sample = line.match(sampleLine);
    if (!sample) throw new Error(`not Prometheus text: ${line}`);
    const family = sample[1]!.replace(/_(bucket|sum|count)$/, "");
    if (!types.has(sample[1]!) && !types.has(family)) throw new Error(`sample without # TYPE: ${line}`);
    const labels = Object.fromEntries([...(sample[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.set(key(sample[1]!, labels), Number(sample[3]));
  }
  return samples;
}

/** The value of `name{labels}` (in any label order), 0 if absent. */
export function sample(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  return samples.get(key(name, labels)) ?? 0;
}

function key(name: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(",")}}` : name;
}
