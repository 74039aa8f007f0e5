import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/**
 * The API's database. It holds hashes, never plaintext keys; the vault's data lives
 * elsewhere. Every tenant-owned row carries `workspace_id`, and every read filters by it.
 * Times are Unix milliseconds, as on the wire.
 */

/** Ids sort by creation time only under byte-order collation, whatever the server's default. */
const id = customType<{ data: string; driverData: string }>({ dataType: () => 'text COLLATE "C"' });
const millis = (name: string) => bigint(name, { mode: "number" });

export const workspaces = pgTable("workspaces", {
  id: id("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: millis("created_at").notNull(),
  deletedAt: millis("deleted_at"),
});

export const rootKeys = pgTable(
  "root_keys",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    name: text("name"),
    hash: text("hash").notNull(),
    start: text("start").notNull(),
    permissions: text("permissions").array().notNull(),
    createdBy: id("created_by"),
    createdAt: millis("created_at").notNull(),
    expires: millis("expires"),
    deletedAt: millis("deleted_at"),
  },
  (t) => [uniqueIndex("root_keys_hash_idx").on(t.hash), index("root_keys_workspace_idx").on(t.workspaceId, t.id)],
);

export const apis = pgTable(
  "apis",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    recoveryEnabled: boolean("recovery_enabled").notNull().default(false),
    createdAt: millis("created_at").notNull(),
    deletedAt: millis("deleted_at"),
  },
  (t) => [index("apis_workspace_idx").on(t.workspaceId, t.id)],
);

export const keys = pgTable(
  "keys",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    apiId: id("api_id").notNull().references(() => apis.id, { onDelete: "cascade" }),
    hash: text("hash").notNull(),
    start: text("start").notNull(),
    name: text("name"),
    ownerId: text("owner_id"),
    meta: jsonb("meta").$type<Record<string, unknown>>(),
    environment: text("environment"),
    enabled: boolean("enabled").notNull().default(true),
    expires: millis("expires"),
    remaining: integer("remaining"),
    refillInterval: text("refill_interval", { enum: ["daily", "monthly"] }),
    refillAmount: integer("refill_amount"),
    refillDay: integer("refill_day"),
    lastRefillAt: millis("last_refill_at"),
    ratelimitLimit: integer("ratelimit_limit"),
    ratelimitDuration: integer("ratelimit_duration"),
    ratelimitAsync: boolean("ratelimit_async"),
    /** Vault ciphertext of the key, only for keys created with `recoverable: true`. */
    encrypted: text("encrypted"),
    /** The vault DEK that made `encrypted`, to find what a re-encryption must move. */
    encryptionKeyId: text("encryption_key_id"),
    createdAt: millis("created_at").notNull(),
    updatedAt: millis("updated_at"),
    deletedAt: millis("deleted_at"),
  },
  (t) => [
    uniqueIndex("keys_hash_idx").on(t.hash),
    index("keys_api_idx").on(t.apiId, t.id).where(sql`${t.deletedAt} is null`),
    index("keys_workspace_idx").on(t.workspaceId),
  ],
);

/** A key's own permissions and roles: names, matched exactly by verifyKey's query. */
export const keyPermissions = pgTable(
  "key_permissions",
  {
    keyId: id("key_id").notNull().references(() => keys.id, { onDelete: "cascade" }),
    workspaceId: id("workspace_id").notNull(),
    name: text("name").notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.name] })],
);

export const keyRoles = pgTable(
  "key_roles",
  {
    keyId: id("key_id").notNull().references(() => keys.id, { onDelete: "cascade" }),
    workspaceId: id("workspace_id").notNull(),
    name: text("name").notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.name] })],
);

/** Fixed-window counters, one row per key and limit name, updated atomically by verify. */
export const ratelimitWindows = pgTable(
  "ratelimit_windows",
  {
    keyId: id("key_id").notNull().references(() => keys.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    windowStart: millis("window_start").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.name] })],
);
