import { resolve } from "node:path";
import { z } from "zod";
import type { DatabaseTarget } from "./db/client.ts";

/** A bad environment value. Its message names the variable, so the CLI prints just that line. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export interface Config {
  port: number;
  host: string;
  /** null: embedded PGlite under `dataDir`. */
  databaseUrl: string | null;
  /** Absolute path. */
  dataDir: string;
  logLevel: (typeof logLevels)[number];
  vaultPort: number;
  vaultUrl: string | null;
  nodeEnv: "development" | "production" | "test";
}

const port = z.coerce.number().int().min(1).max(65535);
const postgresUrl = z.url({ protocol: /^postgres(ql)?$/ });
const httpUrl = z.url({ protocol: /^https?$/ });

/** Each variable: its schema, what a valid value looks like (for the message), and whether to echo bad values. */
const variables = {
  PORT: { schema: port.default(8787), expected: "an integer from 1 to 65535" },
  HOST: { schema: z.string().min(1).default("127.0.0.1"), expected: "a host name or IP address" },
  DATABASE_URL: { schema: postgresUrl.optional(), expected: "a postgres:// or postgresql:// URL", secret: true },
  KEYHOLD_DATA_DIR: { schema: z.string().min(1).default("./.keyhold"), expected: "a directory path" },
  LOG_LEVEL: { schema: z.enum(logLevels).default("info"), expected: `one of ${logLevels.join(", ")}` },
  VAULT_PORT: { schema: port.default(8788), expected: "an integer from 1 to 65535" },
  VAULT_URL: { schema: httpUrl.optional(), expected: "an http:// or https:// URL", secret: true },
  NODE_ENV: { schema: z.enum(["development", "production", "test"]).default("development"), expected: "development, production or test" },
} satisfies Record<string, { schema: z.ZodType; expected: string; secret?: boolean }>;

type Parsed = { [K in keyof typeof variables]: z.output<(typeof variables)[K]["schema"]> };

/** Reads and checks the environment. Empty strings count as unset. Throws one ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(variables)) {
    const raw = env[name] === "" ? undefined : env[name];
    const result = spec.schema.safeParse(raw);
    if (result.success) parsed[name] = result.data;
    else {
      // URLs may carry passwords or tokens: never echo them.
      const got = "secret" in spec && spec.secret ? " (value not shown)" : `, got '${raw}'`;
      problems.push(`${name} must be ${spec.expected}${got}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join("; "));
  const v = parsed as Parsed;
  return {
    port: v.PORT,
    host: v.HOST,
    databaseUrl: v.DATABASE_URL ?? null,
    dataDir: resolve(v.KEYHOLD_DATA_DIR),
    logLevel: v.LOG_LEVEL,
    vaultPort: v.VAULT_PORT,
    vaultUrl: v.VAULT_URL ?? null,
    nodeEnv: v.NODE_ENV,
  };
}

/** Where the data lives: PostgreSQL when DATABASE_URL is set, else PGlite under the data directory. */
export function databaseTarget(config: Config): DatabaseTarget {
  return config.databaseUrl ? { kind: "postgres", url: config.databaseUrl } : { kind: "pglite", dataDir: config.dataDir };
}

/** The database for humans and logs, without credentials. */
export function describeDatabase(config: Config): string {
  if (!config.databaseUrl) return `embedded PGlite in ${config.dataDir}`;
  const url = new URL(config.databaseUrl);
  return `PostgreSQL at ${url.hostname}${url.port ? `:${url.port}` : ""}${url.pathname}`;
}
