import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { keyPermissions, keyRoles, type keys } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { type KeyRatelimit, type RatelimitSetting, replaceRatelimits, setDefaultRatelimit } from "./key-ratelimits.ts";
import type { RefillInterval } from "./refill.ts";

/**
 * The settable properties of a key, shared by createKey and updateKey. `null` clears a
 * property (update only); `undefined` leaves it alone.
 */
export interface KeySettings {
  name?: string | null;
  /** The owner's externalId: links the key to that identity (made on first use); null unlinks. */
  ownerId?: string | null;
  meta?: Record<string, unknown> | null;
  expires?: number | null;
  remaining?: number | null;
  refill?: { interval: RefillInterval; amount: number; refillDay?: number } | null;
  /** v1: the limit named "default" only; the key's other named limits stay. */
  ratelimit?: { limit: number; duration: number; async?: boolean } | null;
  /** v2: the whole list of named limits; null or [] removes them all. */
  ratelimits?: RatelimitSetting[] | null;
  enabled?: boolean;
  environment?: string | null;
  roles?: string[];
  permissions?: string[];
}

export type KeyColumns = Partial<typeof keys.$inferInsert>;

/**
 * Column values for the given settings; checks the rules that span several fields.
 * `ratelimits` is the key's current list, which a v1 `ratelimit` edit keeps the rest of.
 */
export function settingsToColumns(s: KeySettings, now: number, ratelimits: readonly KeyRatelimit[] = []): KeyColumns {
  if (s.ratelimit !== undefined && s.ratelimits !== undefined) {
    throw new KeyholdError("BAD_REQUEST", "Set either ratelimit or ratelimits, not both.");
  }
  if (s.expires != null && s.expires <= now) throw new KeyholdError("BAD_REQUEST", "expires must be in the future.");
  if (s.refill?.refillDay !== undefined && s.refill.interval !== "monthly") {
    throw new KeyholdError("BAD_REQUEST", "refill.refillDay applies only to a monthly refill.");
  }
  const columns: KeyColumns = {};
  if (s.name !== undefined) columns.name = s.name;
  if (s.meta !== undefined) columns.meta = s.meta;
  if (s.expires !== undefined) columns.expires = s.expires;
  if (s.remaining !== undefined) columns.remaining = s.remaining;
  if (s.enabled !== undefined) columns.enabled = s.enabled;
  if (s.environment !== undefined) columns.environment = s.environment;
  if (s.refill !== undefined) {
    columns.refillInterval = s.refill?.interval ?? null;
    columns.refillAmount = s.refill?.amount ?? null;
    columns.refillDay = s.refill?.interval === "monthly" ? (s.refill.refillDay ?? 1) : null;
    columns.lastRefillAt = s.refill ? now : null;
  }
  if (s.ratelimit !== undefined) columns.ratelimits = setDefaultRatelimit(ratelimits, s.ratelimit);
  if (s.ratelimits !== undefined) columns.ratelimits = replaceRatelimits(ratelimits, s.ratelimits ?? []);
  return columns;
}

/** Replaces a key's permission and role names (those given), inside the caller's transaction. */
export async function writeKeyNames(
  tx: Database,
  key: { id: string; workspaceId: string },
  names: { permissions?: string[]; roles?: string[] },
  replace: boolean,
): Promise<void> {
  if (replace) {
    for (const [table, list] of [
      [keyPermissions, names.permissions],
      [keyRoles, names.roles],
    ] as const) {
      if (list !== undefined) await tx.delete(table).where(and(eq(table.keyId, key.id), eq(table.workspaceId, key.workspaceId)));
    }
  }
  await insertKeyNames(tx, key.workspaceId, [{ keyId: key.id, permissions: names.permissions, roles: names.roles }]);
}

/** Rows per INSERT: three parameters each, well inside PostgreSQL's 65,535. */
const NAME_ROWS_PER_INSERT = 5000;

/** Adds permission and role names to new keys (many at once: keys.migrateKeys), each name once per key. */
export async function insertKeyNames(
  tx: Database,
  workspaceId: string,
  entries: { keyId: string; permissions?: string[]; roles?: string[] }[],
): Promise<void> {
  for (const [table, pick] of [
    [keyPermissions, (e: (typeof entries)[number]) => e.permissions],
    [keyRoles, (e: (typeof entries)[number]) => e.roles],
  ] as const) {
    const rows = entries.flatMap((e) => [...new Set(pick(e) ?? [])].map((name) => ({ keyId: e.keyId, workspaceId, name })));
    for (let i = 0; i < rows.length; i += NAME_ROWS_PER_INSERT) await tx.insert(table).values(rows.slice(i, i + NAME_ROWS_PER_INSERT));
  }
}
