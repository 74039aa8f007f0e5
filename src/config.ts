import { resolve } from "node:path";
import { z } from "zod";
import type { DatabaseTarget } from "./db/client.ts";
import { TRUST_PROXY_EXPECTED, type TrustProxy, parseTrustProxy } from "./proxy-trust.ts";

/** A bad environment value. Its message names the variable, so the CLI prints just that line. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export const logFormats = ["json", "pretty"] as const;

export interface Config {
  port: number;
  host: string;
  /** null: embedded PGlite under `dataDir`. */
  databaseUrl: string | null;
  /** Absolute path. */
  dataDir: string;
  logLevel: (typeof logLevels)[number];
  /** null: pretty on a terminal, JSON lines otherwise. */
  logFormat: (typeof logFormats)[number] | null;
  vaultPort: number;
  vaultUrl: string | null;
  /** base64 32-byte keys; the first wraps new DEKs. null: a generated key file under the data dir. */
  vaultMasterKeys: string | null;
  vaultDatabaseUrl: string | null;
  vaultDekMaxAgeMs: number;
  vaultDekMaxUses: number;
  vaultDekCacheTtlMs: number;
  /** JWKs of the API→vault token key pair; null: a generated pair under the data dir. */
  vaultTokenPrivateKey: string | null;
  vaultTokenPublicKey: string | null;
  verifyCacheSize: number;
  /** Most estimated bytes the verify cache holds, whatever the entry count. */
  verifyCacheMaxBytes: number;
  verifyCacheTtlMs: number;
  verifyCacheNegativeTtlMs: number;
  /** Live root keys kept in memory; 0: every root-key check reads the database. */
  rootKeyCacheSize: number;
  /** How long an activity held by a policy or the root quorum waits for approvals. */
  activityTtlMs: number;
  nodeEnv: "development" | "production" | "test";
  /** Bearer token GET /metrics requires (API and vault); null: metrics are open. */
  metricsToken: string | null;
  /** Which reverse proxies may name the client in X-Forwarded-For; false: the socket's address (see proxy-trust.ts). */
  trustProxy: TrustProxy;
  /** Verification analytics: counted and written in batches (on), or not recorded at all (off). */
  analytics: boolean;
  /** Counts older than this are dropped (whole days). */
  analyticsRetentionMs: number;
  /** Minute buckets older than this are rolled up into hours (whole days). */
  analyticsRollupAfterMs: number;
  /**
   * KEYHOLD_PUBLIC_URL: the origin browsers reach this Keyhold at (behind a TLS-terminating proxy,
   * not the address it listens on); portal links are made from it and the portal cookie is Secure
   * when it is https. null: both follow each request's own URL.
   */
  publicUrl: string | null;
  /** For `keyhold keys …`: the Keyhold to talk to (default: this machine's PORT) and the root key to use. */
  keyholdUrl: string | null;
  keyholdRootKey: string | null;
}

const port = z.coerce.number().int().min(1).max(65535);
const postgresUrl = z.url({ protocol: /^postgres(ql)?$/ });
const httpUrl = z.url({ protocol: /^https?$/ });
/** An absolute http(s) URL that is an origin (a trailing `/` at most): kept as its origin. */
const publicOrigin = httpUrl.refine((v) => /^https?:\/\/[^/?#]+\/?$/.test(v)).transform((v) => new URL(v).origin);
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** `500ms`, `90s`, `10m`, `12h`, `30d` (or plain milliseconds) to milliseconds. */
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)?$/)
  .transform((v) => {
    const [, n, unit] = v.match(/^(\d+)(ms|s|m|h|d)?$/)!;
    return Number(n) * units[unit ?? "ms"]!;
  });
const byteUnits: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
/** `64MiB`, `512KiB`, `1GiB` (or plain bytes) to bytes. */
const bytes = z
  .string()
  .regex(/^\d+(B|KiB|MiB|GiB)?$/)
  .transform((v) => {
    const [, n, unit] = v.match(/^(\d+)(B|KiB|MiB|GiB)?$/)!;
    return Number(n) * byteUnits[unit ?? "B"]!;
  })
  .pipe(z.number().min(1024 ** 2).max(2 ** 50));
const jwk = z.string().refine((v) => {
  try {
    const parsed = JSON.parse(v) as { kty?: string; crv?: string };
    return parsed.kty === "OKP" && parsed.crv === "Ed25519";
  } catch {
    return false;
  }
});

/** Each variable: its schema, what a valid value looks like (for the message), and whether to echo bad values. */
const variables = {
  PORT: { schema: port.default(8787), expected: "an integer from 1 to 65535" },
  HOST: { schema: z.string().min(1).default("127.0.0.1"), expected: "a host name or IP address" },
  DATABASE_URL: { schema: postgresUrl.optional(), expected: "a postgres:// or postgresql:// URL", secret: true },
  KEYHOLD_DATA_DIR: { schema: z.string().min(1).default("./.keyhold"), expected: "a directory path" },
  LOG_LEVEL: { schema: z.enum(logLevels).default("info"), expected: `one of ${logLevels.join(", ")}` },
  LOG_FORMAT: { schema: z.enum(logFormats).optional(), expected: "json or pretty" },
  VAULT_PORT: { schema: port.default(8788), expected: "an integer from 1 to 65535" },
  VAULT_URL: { schema: httpUrl.optional(), expected: "an http:// or https:// URL", secret: true },
  VAULT_MASTER_KEYS: { schema: z.string().regex(/^[A-Za-z0-9+/=,\s]+$/).optional(), expected: "comma-separated base64 32-byte keys", secret: true },
  VAULT_DATABASE_URL: { schema: postgresUrl.optional(), expected: "a postgres:// or postgresql:// URL", secret: true },
  VAULT_DEK_MAX_AGE: { schema: duration.prefault("30d"), expected: "a duration such as 30d, 12h, 90m or 3600s" },
  VAULT_DEK_MAX_USES: { schema: z.coerce.number().int().min(1).max(2 ** 32).default(2 ** 24), expected: "an integer from 1 to 2^32" },
  VAULT_DEK_CACHE_TTL: { schema: duration.prefault("10m"), expected: "a duration such as 10m or 60s" },
  VAULT_TOKEN_PRIVATE_KEY: { schema: jwk.optional(), expected: "an Ed25519 private JWK (JSON)", secret: true },
  VAULT_TOKEN_PUBLIC_KEY: { schema: jwk.optional(), expected: "an Ed25519 public JWK (JSON)" },
  VERIFY_CACHE_SIZE: { schema: z.coerce.number().int().min(0).max(10_000_000).default(100_000), expected: "an integer from 0 (off) to 10000000" },
  VERIFY_CACHE_MAX_BYTES: { schema: bytes.prefault("64MiB"), expected: "a size such as 64MiB, 512KiB or 1GiB (at least 1MiB)" },
  VERIFY_CACHE_TTL: { schema: duration.prefault("60s"), expected: "a duration such as 60s" },
  VERIFY_CACHE_NEGATIVE_TTL: { schema: duration.prefault("1s"), expected: "a duration such as 1s or 500ms" },
  ACTIVITY_TTL: { schema: duration.prefault("24h"), expected: "a duration such as 24h or 30m" },
  ROOT_KEY_CACHE_SIZE: { schema: z.coerce.number().int().min(0).max(1_000_000).default(10_000), expected: "an integer from 0 (off) to 1000000" },
  KEYHOLD_URL: { schema: httpUrl.optional(), expected: "an http:// or https:// URL" },
  KEYHOLD_PUBLIC_URL: { schema: publicOrigin.optional(), expected: "an absolute http:// or https:// URL without a path, such as https://keys.example.com" },
  KEYHOLD_ROOT_KEY: { schema: z.string().regex(/^kh_root_\S+$/).optional(), expected: "a root key (kh_root_…)", secret: true },
  METRICS_TOKEN: { schema: z.string().min(16).regex(/^\S+$/).optional(), expected: "at least 16 characters without spaces", secret: true },
  TRUST_PROXY: {
    schema: z.string().default("false").transform((v, ctx) => parseTrustProxy(v) ?? (ctx.addIssue({ code: "custom", message: "bad" }), z.NEVER)),
    expected: TRUST_PROXY_EXPECTED,
  },
  ANALYTICS: { schema: z.enum(["on", "off"]).default("on"), expected: "on or off" },
  ANALYTICS_RETENTION: { schema: duration.prefault("90d").pipe(z.number().min(86_400_000).max(3650 * 86_400_000)), expected: "a duration from 1d to 3650d, such as 90d" },
  ANALYTICS_ROLLUP_AFTER: { schema: duration.prefault("7d").pipe(z.number().min(86_400_000).max(3650 * 86_400_000)), expected: "a duration from 1d to 3650d, such as 7d" },
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
  const v = parsed as Parsed;
  if (problems.length === 0 && v.ANALYTICS_ROLLUP_AFTER > v.ANALYTICS_RETENTION) {
    problems.push("ANALYTICS_ROLLUP_AFTER must not be longer than ANALYTICS_RETENTION (minute buckets would outlive the counts)");
  }
  if (problems.length > 0) throw new ConfigError(problems.join("; "));
  return {
    port: v.PORT,
    host: v.HOST,
    databaseUrl: v.DATABASE_URL ?? null,
    dataDir: resolve(v.KEYHOLD_DATA_DIR),
    logLevel: v.LOG_LEVEL,
    logFormat: v.LOG_FORMAT ?? null,
    vaultPort: v.VAULT_PORT,
    vaultUrl: v.VAULT_URL ?? null,
    vaultMasterKeys: v.VAULT_MASTER_KEYS ?? null,
    vaultDatabaseUrl: v.VAULT_DATABASE_URL ?? null,
    vaultDekMaxAgeMs: v.VAULT_DEK_MAX_AGE,
    vaultDekMaxUses: v.VAULT_DEK_MAX_USES,
    vaultDekCacheTtlMs: v.VAULT_DEK_CACHE_TTL,
    vaultTokenPrivateKey: v.VAULT_TOKEN_PRIVATE_KEY ?? null,
    vaultTokenPublicKey: v.VAULT_TOKEN_PUBLIC_KEY ?? null,
    verifyCacheSize: v.VERIFY_CACHE_SIZE,
    verifyCacheMaxBytes: v.VERIFY_CACHE_MAX_BYTES,
    verifyCacheTtlMs: v.VERIFY_CACHE_TTL,
    verifyCacheNegativeTtlMs: v.VERIFY_CACHE_NEGATIVE_TTL,
    rootKeyCacheSize: v.ROOT_KEY_CACHE_SIZE,
    activityTtlMs: v.ACTIVITY_TTL,
    nodeEnv: v.NODE_ENV,
    metricsToken: v.METRICS_TOKEN ?? null,
    trustProxy: v.TRUST_PROXY,
    analytics: v.ANALYTICS === "on",
    analyticsRetentionMs: v.ANALYTICS_RETENTION,
    analyticsRollupAfterMs: v.ANALYTICS_ROLLUP_AFTER,
    publicUrl: v.KEYHOLD_PUBLIC_URL ?? null,
    keyholdUrl: v.KEYHOLD_URL ?? null,
    keyholdRootKey: v.KEYHOLD_ROOT_KEY ?? null,
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

/** The URL a listener on host:port answers at (IPv6 hosts in brackets). */
export function listenUrl(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
