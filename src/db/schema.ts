import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  boolean,
  customType,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type { P256PublicJwk } from "../crypto/export-bundle.ts";

/**
 * The API's database. It holds hashes, never plaintext keys; the vault's data lives
 * elsewhere. Every tenant-owned row carries `workspace_id`, and every read filters by it.
 * Times are Unix milliseconds, as on the wire.
 */

/**
 * One of a key's named rate limits, as stored in `keys.ratelimits`. `autoApply` limits are
 * checked on every verify; the others only when a verify names them. `async` is v1's flag.
 */
export interface KeyRatelimit {
  id: string;
  name: string;
  limit: number;
  duration: number;
  autoApply: boolean;
  async?: boolean;
}

/** Ids sort by creation time only under byte-order collation, whatever the server's default. */
const id = customType<{ data: string; driverData: string }>({ dataType: () => 'text COLLATE "C"' });
const millis = (name: string) => bigint(name, { mode: "number" });

export const workspaces = pgTable("workspaces", {
  id: id("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: millis("created_at").notNull(),
  deletedAt: millis("deleted_at"),
  /** The root quorum (src/activities/quorum.ts): while the threshold is above 1, what it guards needs that many of these users. */
  quorumUserIds: jsonb("quorum_user_ids").$type<string[]>().notNull().default([]),
  quorumThreshold: integer("quorum_threshold").notNull().default(1),
});

/**
 * The people of a workspace (src/users/, drizzle/0009). Every root key belongs to one, so
 * that quorum counts people, never keys. Deleting is soft and refused while the user holds a
 * live root key.
 */
export const users = pgTable(
  "users",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    email: text("email"),
    tags: jsonb("tags").$type<string[]>().notNull().default([]),
    createdAt: millis("created_at").notNull(),
    deletedAt: millis("deleted_at"),
  },
  (t) => [index("users_workspace_idx").on(t.workspaceId, t.id)],
);

export const rootKeys = pgTable(
  "root_keys",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    userId: id("user_id").notNull().references(() => users.id),
    name: text("name"),
    hash: text("hash").notNull(),
    start: text("start").notNull(),
    permissions: text("permissions").array().notNull(),
    createdBy: id("created_by"),
    createdAt: millis("created_at").notNull(),
    expires: millis("expires"),
    deletedAt: millis("deleted_at"),
  },
  (t) => [
    uniqueIndex("root_keys_hash_idx").on(t.hash),
    index("root_keys_workspace_idx").on(t.workspaceId, t.id),
    index("root_keys_user_idx").on(t.userId).where(sql`${t.deletedAt} is null`),
  ],
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
    /** The key's owner (v1 ownerId, v2 externalId); the link only counts while the identity is live. */
    identityId: id("identity_id").references(() => identities.id),
    meta: jsonb("meta").$type<Record<string, unknown>>(),
    environment: text("environment"),
    enabled: boolean("enabled").notNull().default(true),
    expires: millis("expires"),
    remaining: integer("remaining"),
    refillInterval: text("refill_interval", { enum: ["daily", "monthly"] }),
    refillAmount: integer("refill_amount"),
    refillDay: integer("refill_day"),
    lastRefillAt: millis("last_refill_at"),
    /** Named rate limits (v1's single `ratelimit` is the one named "default"); see key-ratelimits.ts. */
    ratelimits: jsonb("ratelimits").$type<KeyRatelimit[]>().notNull().default([]),
    /** Vault ciphertext of the key, only for keys created with `recoverable: true`. */
    encrypted: text("encrypted"),
    /** The vault DEK that made `encrypted`, to find what a re-encryption must move. */
    encryptionKeyId: text("encryption_key_id"),
    /** The migration scheme a key was imported with (keys.migrateKeys); null for keys Keyhold made. */
    migrationId: text("migration_id"),
    createdAt: millis("created_at").notNull(),
    updatedAt: millis("updated_at"),
    /** Last successful verify, to the minute: written in batches (last-used.ts), never by the verify itself. */
    lastUsedAt: millis("last_used_at"),
    deletedAt: millis("deleted_at"),
  },
  (t) => [
    uniqueIndex("keys_hash_idx").on(t.hash),
    index("keys_api_idx").on(t.apiId, t.id).where(sql`${t.deletedAt} is null`),
    index("keys_workspace_idx").on(t.workspaceId),
    index("keys_identity_idx").on(t.identityId).where(sql`${t.identityId} is not null`),
  ],
);

/**
 * A key's own permissions and roles, by what keys reference: a permission's slug, a role's
 * name. Each is a foreign key to the workspace's entity (permissions, roles below), so deleting
 * the entity removes it from every key in the same statement.
 */
export const keyPermissions = pgTable(
  "key_permissions",
  {
    keyId: id("key_id").notNull().references(() => keys.id, { onDelete: "cascade" }),
    workspaceId: id("workspace_id").notNull(),
    name: text("name").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.keyId, t.name] }),
    foreignKey({ columns: [t.workspaceId, t.name], foreignColumns: [permissions.workspaceId, permissions.slug], name: "key_permissions_permission_fk" }).onDelete("cascade"),
    index("key_permissions_name_idx").on(t.workspaceId, t.name),
  ],
);

export const keyRoles = pgTable(
  "key_roles",
  {
    keyId: id("key_id").notNull().references(() => keys.id, { onDelete: "cascade" }),
    workspaceId: id("workspace_id").notNull(),
    name: text("name").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.keyId, t.name] }),
    foreignKey({ columns: [t.workspaceId, t.name], foreignColumns: [roles.workspaceId, roles.name], name: "key_roles_role_fk" }).onDelete("cascade"),
    index("key_roles_name_idx").on(t.workspaceId, t.name),
  ],
);

/**
 * Fixed-window counters, one row per subject and limit, updated atomically by one upsert
 * (src/ratelimits/windows.ts). The subject is whatever is limited: a key (its named limits),
 * an identity (limits shared by its keys), a standalone namespace (one row per identifier).
 * No foreign key, since subjects live in several tables: rows are pruned once `expires_at`
 * (the window's end) has passed, and a key's are deleted with it.
 */
export const ratelimitWindows = pgTable(
  "ratelimit_windows",
  {
    subjectId: id("subject_id").notNull(),
    name: text("name").notNull(),
    windowStart: millis("window_start").notNull(),
    count: integer("count").notNull(),
    expiresAt: millis("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.subjectId, t.name] }), index("ratelimit_windows_expires_idx").on(t.expiresAt)],
);

/**
 * Where imported keys (keys.migrateKeys) may live, so that verify looks up a key without
 * Keyhold's checksum only there: per workspace, the prefix of the imported keys, or ''
 * when the import did not say (every key failing the checksum is then looked up).
 */
export const importedKeyPrefixes = pgTable(
  "imported_key_prefixes",
  {
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    prefix: text("prefix").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.prefix] })],
);

/**
 * Standalone rate limits (src/ratelimits/): a workspace's namespaces, by unique name. Their
 * counters live in ratelimit_windows with the namespace id as subject. Changes are announced
 * on `keyhold_ratelimits` (drizzle/0007), so every instance's namespace cache stays current.
 */
export const ratelimitNamespaces = pgTable(
  "ratelimit_namespaces",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    createdAt: millis("created_at").notNull(),
  },
  (t) => [uniqueIndex("ratelimit_namespaces_workspace_name_idx").on(t.workspaceId, t.name)],
);

/** A namespace's limit for one identifier, or for every identifier a `*` pattern matches. */
export const ratelimitOverrides = pgTable(
  "ratelimit_overrides",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull(),
    namespaceId: id("namespace_id")
      .notNull()
      .references(() => ratelimitNamespaces.id, { onDelete: "cascade" }),
    identifier: text("identifier").notNull(),
    limit: integer("limit").notNull(),
    duration: millis("duration").notNull(),
    /** v1's flag, stored and answered; counting is exact either way. */
    async: boolean("async"),
    createdAt: millis("created_at").notNull(),
    updatedAt: millis("updated_at"),
  },
  (t) => [uniqueIndex("ratelimit_overrides_namespace_identifier_idx").on(t.namespaceId, t.identifier)],
);

/**
 * A customer of the workspace owning several keys (src/identities/): `externalId` is the
 * caller's own id for it, unique among the workspace's live identities. Its meta and named
 * rate limits (the same shape as a key's) are read by verify with the key in one join; the
 * limits' windows are shared by every key of it. Deleting is soft, as Unkey's: its keys stay
 * and keep working, without the identity.
 */
export const identities = pgTable(
  "identities",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    externalId: text("external_id").notNull(),
    meta: jsonb("meta").$type<Record<string, unknown>>(),
    ratelimits: jsonb("ratelimits").$type<KeyRatelimit[]>().notNull().default([]),
    createdAt: millis("created_at").notNull(),
    updatedAt: millis("updated_at"),
    deletedAt: millis("deleted_at"),
  },
  (t) => [
    uniqueIndex("identities_external_id_idx").on(t.workspaceId, t.externalId).where(sql`${t.deletedAt} is null`),
    index("identities_workspace_idx").on(t.workspaceId, t.id),
  ],
);

/**
 * A workspace's permissions (drizzle/0005). Keys and roles reference a permission by `slug`
 * (v1 calls it the permission's name); `name` is v2's display name. Ids are derivedId("perm",
 * workspace, slug) (src/ids.ts), the ids v2 answers gave before permissions were stored.
 */
export const permissions = pgTable(
  "permissions",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    description: text("description"),
    createdAt: millis("created_at").notNull(),
  },
  (t) => [uniqueIndex("permissions_workspace_slug_idx").on(t.workspaceId, t.slug)],
);

/** A workspace's roles, unique by name (what keys reference); ids are derivedId("role", workspace, name). */
export const roles = pgTable(
  "roles",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    description: text("description"),
    createdAt: millis("created_at").notNull(),
  },
  (t) => [uniqueIndex("roles_workspace_name_idx").on(t.workspaceId, t.name)],
);

/** The permissions a role grants to every key holding it. */
export const rolePermissions = pgTable(
  "role_permissions",
  {
    roleId: id("role_id").notNull().references(() => roles.id, { onDelete: "cascade" }),
    permissionId: id("permission_id").notNull().references(() => permissions.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.roleId, t.permissionId] }), index("role_permissions_permission_idx").on(t.permissionId)],
);

/**
 * Verification counts (src/analytics/): one row per key, bucket, outcome and tag set.
 * `time` is the bucket's start (Unix ms): a minute in `key_verifications_minute`, an hour in
 * `key_verifications_hour`, which the minute rows are rolled up into after
 * ANALYTICS_ROLLUP_AFTER. Both are partitioned by day on `time` in SQL
 * (drizzle/0008_verification_analytics.sql; drizzle cannot declare partitioning): the
 * service creates and drops the partitions (src/analytics/partitions.ts). `tags_hash` is
 * the SHA-256 of the sorted tag set ('' for none), so the key stays small whatever the tags.
 */
const verificationCounts = (name: "key_verifications_minute" | "key_verifications_hour") =>
  pgTable(
    name,
    {
      time: millis("time").notNull(),
      workspaceId: id("workspace_id").notNull(),
      apiId: id("api_id").notNull(),
      keyId: id("key_id").notNull(),
      outcome: text("outcome").notNull(),
      tags: text("tags").array().notNull().default(sql`'{}'`),
      tagsHash: text("tags_hash").notNull().default(""),
      count: bigint("count", { mode: "number" }).notNull(),
    },
    (t) => [
      primaryKey({ name: `${name}_pk`, columns: [t.keyId, t.time, t.outcome, t.tagsHash] }),
      index(`${name}_api_idx`).on(t.apiId, t.time),
      index(`${name}_workspace_idx`).on(t.workspaceId, t.time),
    ],
  );

export const keyVerificationsMinute = verificationCounts("key_verifications_minute");
export const keyVerificationsHour = verificationCounts("key_verifications_hour");

/**
 * Activities (src/activities/): every mutating admin request and every decrypt read. `input`
 * is the validated request, kept while the activity waits for approvals; a result holding a
 * secret rests only as `resultSealed`, a JWE only the initiator's root key opens.
 */
export const activities = pgTable(
  "activities",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id")
      .notNull()
      .references(() => workspaces.id),
    type: text("type").notNull(),
    operation: text("operation").notNull(),
    path: text("path").notNull(),
    status: text("status").notNull(),
    digest: text("digest").notNull(),
    params: jsonb("params").$type<Record<string, unknown>>().notNull(),
    input: jsonb("input").$type<Record<string, unknown>>(),
    initiatorUserId: id("initiator_user_id").notNull(),
    initiatorRootKeyId: id("initiator_root_key_id").notNull(),
    apiId: id("api_id"),
    keyId: id("key_id"),
    result: jsonb("result"),
    resultStatus: integer("result_status"),
    resultSealed: text("result_sealed"),
    sealPublicKey: jsonb("seal_public_key").$type<Record<string, string>>(),
    sealPrivateKey: text("seal_private_key"),
    createdAt: millis("created_at").notNull(),
    updatedAt: millis("updated_at").notNull(),
    expiresAt: millis("expires_at"),
  },
  (t) => [index("activities_workspace_idx").on(t.workspaceId, t.id), index("activities_waiting_idx").on(t.workspaceId, t.status)],
);

/** One decision per user on an activity: the initiator's request is its first approval. */
export const activityApprovals = pgTable(
  "activity_approvals",
  {
    activityId: id("activity_id")
      .notNull()
      .references(() => activities.id, { onDelete: "cascade" }),
    userId: id("user_id").notNull(),
    rootKeyId: id("root_key_id").notNull(),
    decision: text("decision").$type<"APPROVE" | "REJECT">().notNull(),
    createdAt: millis("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.activityId, t.userId] })],
);

/** What an audit entry says, the same whether it waits to be linked (audit_pending) or is on the chain (audit_log). */
const auditEntryColumns = () => ({
  at: millis("at").notNull(),
  event: text("event").notNull(),
  activityId: id("activity_id"),
  activityType: text("activity_type"),
  /** The user who acted (the calling root key's user). */
  userId: id("user_id"),
  rootKeyId: id("root_key_id"),
  apiId: id("api_id"),
  keyId: id("key_id"),
  details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
});

/**
 * The audit trail (src/audit/, drizzle/0010): append-only (a trigger refuses UPDATE, DELETE
 * and TRUNCATE), one hash chain per workspace. `hash` covers the entry and `prev_hash`, the
 * previous entry's hash (64 zeros for the first), so a changed, deleted or reordered entry
 * shows. No foreign keys to what entries name: the trail outlives them.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    seq: bigint("seq", { mode: "number" }).notNull(),
    id: id("id").notNull(),
    ...auditEntryColumns(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [
    primaryKey({ name: "audit_log_pk", columns: [t.workspaceId, t.seq] }),
    index("audit_log_key_idx").on(t.workspaceId, t.keyId, t.seq).where(sql`${t.keyId} is not null`),
    index("audit_log_user_idx").on(t.workspaceId, t.userId, t.seq).where(sql`${t.userId} is not null`),
  ],
);

/** Each workspace's chain head: appends lock this row, so one chain never forks. */
export const auditHeads = pgTable("audit_heads", {
  workspaceId: id("workspace_id").primaryKey().references(() => workspaces.id),
  seq: bigint("seq", { mode: "number" }).notNull(),
  hash: text("hash").notNull(),
});

/**
 * Audit entries recorded but not yet on the chain (drizzle/0010): requests write here without
 * waiting for the chain's lock; src/audit/chain.ts links them in order, soon after and before
 * every read of the trail.
 */
export const auditPending = pgTable(
  "audit_pending",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id")
      .notNull()
      .references(() => workspaces.id),
    ...auditEntryColumns(),
  },
  (t) => [index("audit_pending_workspace_idx").on(t.workspaceId, t.at, t.id)],
);

/**
 * Escrow keys (drizzle/0012, src/escrow/): P-256 key pairs made inside the vault. `encrypted` is
 * the vault's ciphertext of the private JWK (purpose "keyPair", bound to the workspace and this
 * id); only the vault opens it, and only to seal it to a caller's key. Soft-deleted.
 */
export const escrowKeys = pgTable(
  "escrow_keys",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    publicKey: jsonb("public_key").$type<P256PublicJwk>().notNull(),
    encrypted: text("encrypted").notNull(),
    createdAt: millis("created_at").notNull(),
    deletedAt: millis("deleted_at"),
  },
  (t) => [index("escrow_keys_workspace_idx").on(t.workspaceId, t.id)],
);

/**
 * A workspace's policies (drizzle/0011): CEL `condition` and `consensus` (null: always met)
 * as sent, compiled by src/policies/ before they are stored and again when loaded. Triggers
 * announce the workspace of every change on `keyhold_policies`, so every instance's cache of
 * compiled policies stays current.
 */
export const policies = pgTable(
  "policies",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    effect: text("effect").$type<"ALLOW" | "DENY">().notNull(),
    condition: text("condition").notNull(),
    consensus: text("consensus"),
    notes: text("notes"),
    createdAt: millis("created_at").notNull(),
    updatedAt: millis("updated_at"),
  },
  (t) => [index("policies_workspace_idx").on(t.workspaceId, t.id), check("policies_effect_check", sql`${t.effect} IN ('ALLOW', 'DENY')`)],
);

/** How a portal looks: an accent colour and a logo (a same-origin path or a data: URL, never another origin). */
export interface PortalBranding {
  accentColor?: string;
  logoUrl?: string;
}

/**
 * A workspace's end-user portals (drizzle/0014, src/portal/): which of its APIs a portal
 * shows, where users go back to, how it looks. Deleting one deletes its sessions.
 */
export const portals = pgTable(
  "portals",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    apiIds: text("api_ids").array().notNull(),
    returnUrl: text("return_url"),
    branding: jsonb("branding").$type<PortalBranding>(),
    createdAt: millis("created_at").notNull(),
    updatedAt: millis("updated_at"),
  },
  (t) => [index("portals_workspace_idx").on(t.workspaceId, t.id)],
);

/**
 * A portal session: one end user (an identity of the workspace) with a fixed set of scopes,
 * minted by a root key (whose permissions stay its ceiling). First a single-use code (its
 * SHA-256 in `code_hash`, cleared when exchanged), then an access token (its SHA-256); neither
 * is ever stored in clear.
 */
export const portalSessions = pgTable(
  "portal_sessions",
  {
    id: id("id").primaryKey(),
    workspaceId: id("workspace_id").notNull().references(() => workspaces.id),
    portalId: id("portal_id").notNull().references(() => portals.id, { onDelete: "cascade" }),
    identityId: id("identity_id").notNull(),
    externalId: text("external_id").notNull(),
    scopes: text("scopes").array().notNull(),
    preview: boolean("preview").notNull().default(false),
    returnUrl: text("return_url"),
    rootKeyId: id("root_key_id").notNull(),
    userId: id("user_id").notNull(),
    codeHash: text("code_hash"),
    codeExpiresAt: millis("code_expires_at").notNull(),
    tokenHash: text("token_hash"),
    expiresAt: millis("expires_at"),
    createdAt: millis("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("portal_sessions_code_hash_idx").on(t.codeHash),
    uniqueIndex("portal_sessions_token_hash_idx").on(t.tokenHash),
    index("portal_sessions_portal_idx").on(t.portalId),
  ],
);
