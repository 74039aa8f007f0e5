import { Counter, Gauge, Registry } from "prom-client";

const DAY = 86_400;
/** Upper bounds in seconds; a DEK falls in the first bucket it is younger than. */
const ageBuckets: [string, number][] = [
  ["lt_1d", DAY],
  ["1d_7d", 7 * DAY],
  ["7d_30d", 30 * DAY],
  ["30d_90d", 90 * DAY],
  ["90d_365d", 365 * DAY],
  ["ge_365d", Infinity],
];

/** What the vault metrics read from its keyrings: names and DEK ages, never key material. */
export interface KeyringSource {
  keyringNames(): Promise<string[]>;
  describe(keyring: string): Promise<{ deks: { createdAt: number }[] } | null>;
}

export interface VaultMetrics {
  registry: Registry;
  observeRequest(method: string, route: string, status: number): void;
}

/** The vault's own metrics (its own registry): DEKs by age are read from storage at scrape time. */
export function createVaultMetrics(keyrings: KeyringSource, now: () => number = Date.now): VaultMetrics {
  const registry = new Registry();
  const requests = new Counter({ name: "keyhold_vault_requests_total", help: "Vault HTTP requests answered, by route pattern and status.", labelNames: ["method", "route", "status"], registers: [registry] });
  // Both gauges are collected concurrently on a scrape: they share one pass over storage.
  let pending: Promise<{ keyrings: number; deks: Map<string, number> }> | null = null;
  const scan = () => (pending ??= scanKeyrings(keyrings, now).finally(() => (pending = null)));
  new Gauge({
    name: "keyhold_vault_keyrings",
    help: "Keyrings in the vault's storage.",
    registers: [registry],
    async collect() {
      this.set((await scan()).keyrings);
    },
  });
  new Gauge({
    name: "keyhold_vault_deks",
    help: "DEKs in the vault's storage by age (lt_1d … ge_365d); old DEKs keep decrypting until reencrypt retires them.",
    labelNames: ["age"],
    registers: [registry],
    async collect() {
      for (const [age, n] of (await scan()).deks) this.set({ age }, n);
    },
  });
  return { registry, observeRequest: (method, route, status) => requests.inc({ method, route, status: String(status) }) };
}

async function scanKeyrings(keyrings: KeyringSource, now: () => number): Promise<{ keyrings: number; deks: Map<string, number> }> {
  const deks = new Map(ageBuckets.map(([label]) => [label, 0]));
  const names = await keyrings.keyringNames();
  for (const name of names) {
    for (const dek of (await keyrings.describe(name))?.deks ?? []) {
      const ageSeconds = Math.max(0, (now() - dek.createdAt) / 1000);
      const label = ageBuckets.find(([, bound]) => ageSeconds < bound)![0];
      deks.set(label, deks.get(label)! + 1);
    }
  }
  return { keyrings: names.length, deks };
}
