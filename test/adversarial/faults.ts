import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import type { Database } from "../../src/db/client.ts";
import * as schema from "../../src/db/schema.ts";
import type { KeyringDocument, VaultStorage } from "../../src/vault/storage/storage.ts";

/**
 * Fault injection for the soak tests, in the spirit of Vault's ErrorInjector: wrappers
 * around the real storage and the real database driver that fail a fraction of
 * operations at random. Failures happen before the operation reaches the real backend,
 * so every failed operation is known not to have happened; `enabled` turns them off for
 * the checks afterwards.
 */
export interface FaultSwitch {
  rate: number;
  enabled: boolean;
  injected: number;
}

export class InjectedFault extends Error {
  constructor(what: string) {
    super(`injected fault: ${what}`);
    this.name = "InjectedFault";
  }
}

function shouldFail(faults: FaultSwitch): boolean {
  if (!faults.enabled || Math.random() >= faults.rate) return false;
  faults.injected++;
  return true;
}

/** The vault's storage with a fraction of reads and writes failing. */
export function faultyStorage(real: VaultStorage, faults: FaultSwitch): VaultStorage {
  return {
    async read(keyring: string): Promise<KeyringDocument | null> {
      if (shouldFail(faults)) throw new InjectedFault("storage read");
      return real.read(keyring);
    },
    async write(doc: KeyringDocument): Promise<boolean> {
      if (shouldFail(faults)) throw new InjectedFault("storage write");
      return real.write(doc);
    },
    async list(): Promise<string[]> {
      if (shouldFail(faults)) throw new InjectedFault("storage list");
      return real.list();
    },
    close: () => real.close(),
  };
}

/** A rejected postgres.js query: awaitable, and with `.values()` as drizzle calls it. */
function rejectedQuery(): Promise<never> & { values(): Promise<never> } {
  const p = Promise.reject(new InjectedFault("database query")) as Promise<never> & { values(): Promise<never> };
  p.catch(() => {});
  p.values = () => p;
  return p;
}

/** postgres.js `sql` (or a transaction's `sql`) whose queries, and BEGINs, fail at `faults.rate`. */
function faultyPostgresClient<T extends object>(real: T, faults: FaultSwitch): T {
  return new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "unsafe") return (...args: unknown[]) => (shouldFail(faults) ? rejectedQuery() : value.apply(target, args));
      if (prop === "begin" || prop === "savepoint") {
        return (...args: unknown[]) => {
          if (shouldFail(faults)) return Promise.reject(new InjectedFault("begin"));
          const callback = args.at(-1) as (tx: object) => unknown;
          return value.apply(target, [...args.slice(0, -1), (tx: object) => callback(faultyPostgresClient(tx, faults))]);
        };
      }
      return value.bind(target);
    },
  });
}

/** A PGlite client (or transaction) whose queries, and transactions, fail at `faults.rate`. */
function faultyPgliteClient<T extends object>(real: T, faults: FaultSwitch): T {
  return new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "query" || prop === "exec") {
        return (...args: unknown[]) => (shouldFail(faults) ? Promise.reject(new InjectedFault("database query")) : value.apply(target, args));
      }
      if (prop === "transaction") {
        return (callback: (tx: object) => unknown) => {
          if (shouldFail(faults)) return Promise.reject(new InjectedFault("begin"));
          return value.call(target, (tx: object) => callback(faultyPgliteClient(tx, faults)));
        };
      }
      return value.bind(target);
    },
  });
}

/** A second drizzle instance over the same connection(s) as `db`, with faults injected in the driver. */
export function faultyDatabase(db: Database, kind: "pglite" | "postgres", faults: FaultSwitch): Database {
  const client = (db as unknown as { $client: object }).$client;
  if (kind === "postgres") return drizzlePostgres(faultyPostgresClient(client, faults) as never, { schema }) as unknown as Database;
  return drizzlePglite(faultyPgliteClient(client, faults) as never, { schema }) as unknown as Database;
}
