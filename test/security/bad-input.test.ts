import { generateKeyPairSync, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, test } from "vitest";
import { MAX_BODY_BYTES } from "../../src/http/body-limit.ts";
import { v2ErrorStatus } from "../../src/api/v2/envelope.ts";
import { errorStatus } from "../../src/errors.ts";
import { MAX_META_BYTES } from "../../src/keys/storable.ts";
import { eq } from "drizzle-orm";
import { sha256Hex } from "../../src/crypto/hash.ts";
import { portalSessions } from "../../src/db/schema.ts";
import { type Harness, type Response, type Workspace, forEachDatabase } from "../harness.ts";
import { envelopeVersion, expectErrorEnvelope, expectNoStackTrace } from "./envelope.ts";

/**
 * Hostile and careless input on every route: each answer is a 4xx in the contract's
 * envelope, never a 5xx or a stack trace, and the database is left exactly as it was.
 * The valid bodies below are accepted (see the control test), so every refusal is the
 * mutation's doing.
 */

interface Fixture {
  apiId: string;
  keyId: string;
  key: string;
  rootKeyId: string;
  /** The key's owner: an identity of the workspace. */
  externalId: string;
  identityId: string;
  /** A user holding no root key (the control deletes its own). */
  userId: string;
  /** An inert policy (INERT_POLICY), for the policy reads and updatePolicy. */
  policyId: string;
  escrowKeyId: string;
  /** A recoverable key of `externalId`, for keys.exportKey (f.keyId is not: its export is a 412) and portal.revealKey. */
  recoverableKeyId: string;
  recoverableApiId: string;
  /** An activity HOLD_POLICY holds: approving it again as its initiator leaves it waiting (a 200 each time). */
  held: Held;
  /** What the control's deletes and rejections use up, one per version. */
  doomed: Record<"v1" | "v2", { policyId: string; escrowKeyId: string; held: Held }>;
  /**
   * A portal showing apiId and the recoverable key's API, a session of `externalId` in it with
   * every scope, a code the control exchanges, a key of `externalId` for the control's reroll,
   * a reveal of the session's that HELD_REVEAL holds (for portal.getActivity), and the portals
   * the control's deletes delete.
   */
  portal: { portalId: string; apiIds: string[]; token: string; code: string; rerollKeyId: string; heldActivityId: string; doomed: Record<"v1" | "v2", string> };
}

/** A waiting activity and the digest that approves or rejects it. */
interface Held {
  activityId: string;
  digest: string;
}

/** A fresh externalId, for bodies that create an identity (a second one of the same would be a 409). */
const freshExternalId = () => `ext_${randomBytes(8).toString("hex")}`;
const identityLimits = (autoApply?: boolean) => [{ name: "calls", limit: 5, duration: 60_000, ...(autoApply !== undefined && { autoApply }) }];
const fiftyOneLimits = () => Array.from({ length: 51 }, (_, i) => ({ name: `r${i}`, limit: 1, duration: 60_000 }));
/** What every route that stores an identity's rate limits refuses. */
const identityLimitRefusals = (base: Record<string, unknown>): [label: string, body: unknown][] => [
  ["51 ratelimits", { ...base, ratelimits: fiftyOneLimits() }],
  ["ratelimits with duplicate names", { ...base, ratelimits: [...identityLimits(), ...identityLimits()] }],
  ["ratelimit limit 0", { ...base, ratelimits: [{ name: "a", limit: 0, duration: 60_000 }] }],
  ["ratelimit duration 999", { ...base, ratelimits: [{ name: "a", limit: 1, duration: 999 }] }],
  ["ratelimit limit 2^31", { ...base, ratelimits: [{ name: "a", limit: 2 ** 31, duration: 60_000 }] }],
  ["ratelimit without a name", { ...base, ratelimits: [{ limit: 1, duration: 60_000 }] }],
  ["ratelimit name with a lone surrogate", { ...base, ratelimits: [{ name: "\ud800", limit: 1, duration: 60_000 }] }],
];

const FUTURE = Date.now() + 30 * 24 * 3600 * 1000;
const LONG = "x".repeat(10_000);

type Body = Record<string, unknown>;

interface PostRoute {
  path: string;
  /** An object, or for v1 migrations.createKeys an array of them (its fields are mutated through the first element). */
  valid: (f: Fixture) => Body | Body[];
  /** Dotted paths where `null` is a valid value (it clears the setting). */
  nullable?: string[];
  /** Paths whose content is free-form and not mutated field by field. */
  opaque?: string[];
  /** String paths where any text is acceptable input (verifyKey's key: garbage is a 200 NOT_FOUND verdict). */
  anyString?: string[];
  /** Hand-written refusals particular to the route. */
  extra: (f: Fixture) => [label: string, body: unknown | RawJson][];
  /** The body has no fields (getRootQuorum's `{}`): nothing to mutate field by field. */
  noFields?: boolean;
  /** The bearer the control sends, where not the root key (a portal session's token); refusals come before it is read. */
  token?: (f: Fixture) => string;
}

const nest = (depth: number, leaf: string) => '{"and":['.repeat(depth) + JSON.stringify(leaf) + "]}".repeat(depth);

/** A body given as JSON text: nesting this deep would overflow JSON.stringify in the test itself. */
class RawJson {
  constructor(readonly text: string) {}
}
/** `{...fields, [field]: {"a":{"a":…1}}}` with `depth` levels of objects. */
const deepField = (fields: Record<string, unknown>, field: string, depth: number) =>
  new RawJson(`${JSON.stringify(fields).slice(0, -1)},"${field}":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`);

/** What every route that stores a `meta` refuses, on top of `base` (the route's required fields): one list, so no route misses one. */
const metaRefusals = (base: Record<string, unknown>): [label: string, body: unknown][] => [
  ["meta as array", { ...base, meta: [1, 2] }],
  ["meta as string", { ...base, meta: "{}" }],
  ["meta as number", { ...base, meta: 1 }],
  ["meta 65 deep", deepField(base, "meta", 65)],
  ["meta 10 000 deep", deepField(base, "meta", 10_000)],
  ["meta with a NUL value", { ...base, meta: { a: [{ b: NUL }] } }],
  ["meta with a NUL key", { ...base, meta: { ok: { [NUL]: 1 } } }],
  ["meta with a lone surrogate value", { ...base, meta: { a: "\ud800" } }],
  ["meta with a lone surrogate deep inside", { ...base, meta: { a: [1, { b: ["ok", "\udfff"] }] } }],
  ["meta with a lone surrogate key", { ...base, meta: { ["k\udc00"]: 1 } }],
  ["meta with __proto__ beside other keys", protoMeta(base, '{"__proto__":{"admin":true},"ok":1}')],
  ["meta with a nested __proto__", protoMeta(base, '{"ok":{"list":[{"__proto__":1}]}}')],
  ["meta of 1 MB", { ...base, meta: metaOfBytes(1_000_000) }],
  ["meta one byte over the limit", { ...base, meta: metaOfBytes(MAX_META_BYTES + 1) }],
];

const postRoutes: PostRoute[] = [
  {
    path: "/v1/apis.createApi",
    valid: () => ({ name: "payments" }),
    extra: () => [
      ["name of 256", { name: "x".repeat(256) }],
      ["name as object", { name: { toString: "x" } }],
      ["__proto__ instead of name", JSON.parse('{"__proto__":{"name":"x"}}')],
    ],
  },
  {
    path: "/v1/apis.updateApi",
    valid: (f) => ({ apiId: f.apiId, name: "renamed", recovery: { enabled: false } }),
    extra: (f) => [
      ["nothing to update", { apiId: f.apiId }],
      ["recovery true", { apiId: f.apiId, recovery: true }],
      ["recovery.enabled yes", { apiId: f.apiId, recovery: { enabled: "yes" } }],
      ["recovery {}", { apiId: f.apiId, recovery: {} }],
    ],
  },
  { path: "/v1/apis.deleteApi", valid: (f) => ({ apiId: f.apiId }), extra: () => [["apiId missing", {}]] },
  {
    path: "/v1/apis.deleteKeys",
    valid: (f) => ({ apiId: f.apiId, permanent: false }),
    extra: (f) => [["permanent as string", { apiId: f.apiId, permanent: "true" }]],
  },
  {
    path: "/v1/keys.createKey",
    valid: (f) => ({
      apiId: f.apiId,
      prefix: "sk_live",
      name: "key",
      byteLength: 24,
      ownerId: "owner",
      meta: { plan: "pro" },
      expires: FUTURE,
      remaining: 5,
      refill: { interval: "monthly", amount: 5, refillDay: 3 },
      ratelimit: { limit: 5, duration: 60_000 },
      enabled: true,
      environment: "test",
      roles: ["reader"],
      permissions: ["read"],
    }),
    opaque: ["meta"],
    extra: (f) => [
      ["byteLength 15", { apiId: f.apiId, byteLength: 15 }],
      ["byteLength 256", { apiId: f.apiId, byteLength: 256 }],
      ["byteLength 2^53", { apiId: f.apiId, byteLength: 2 ** 53 }],
      ["remaining -1", { apiId: f.apiId, remaining: -1 }],
      ["remaining 2^53", { apiId: f.apiId, remaining: 2 ** 53 }],
      ["remaining 2^31", { apiId: f.apiId, remaining: 2 ** 31 }],
      ["expires in the past", { apiId: f.apiId, expires: Date.now() - 60_000 }],
      ["expires 1", { apiId: f.apiId, expires: 1 }],
      ["expires 0", { apiId: f.apiId, expires: 0 }],
      ["expires 2^53", { apiId: f.apiId, expires: 2 ** 53 }],
      ["prefix of 17", { apiId: f.apiId, prefix: "a".repeat(17) }],
      ["prefix with a space", { apiId: f.apiId, prefix: "sk live" }],
      ["prefix with a dash", { apiId: f.apiId, prefix: "sk-live" }],
      ["prefix ending in _", { apiId: f.apiId, prefix: "sk_" }],
      ["prefix __", { apiId: f.apiId, prefix: "sk__live" }],
      ["prefix empty", { apiId: f.apiId, prefix: "" }],
      ["root key prefix", { apiId: f.apiId, prefix: "kh_root" }],
      ["root key prefix extended", { apiId: f.apiId, prefix: "kh_root_x" }],
      ["refill weekly", { apiId: f.apiId, remaining: 5, refill: { interval: "weekly", amount: 5 } }],
      ["refill without remaining", { apiId: f.apiId, refill: { interval: "daily", amount: 5 } }],
      ["refill amount 0", { apiId: f.apiId, remaining: 5, refill: { interval: "daily", amount: 0 } }],
      ["refillDay on daily", { apiId: f.apiId, remaining: 5, refill: { interval: "daily", amount: 5, refillDay: 3 } }],
      ["refillDay 32", { apiId: f.apiId, remaining: 5, refill: { interval: "monthly", amount: 5, refillDay: 32 } }],
      ["ratelimit limit 0", { apiId: f.apiId, ratelimit: { limit: 0, duration: 60_000 } }],
      ["ratelimit duration 999", { apiId: f.apiId, ratelimit: { limit: 1, duration: 999 } }],
      ["ratelimit without duration", { apiId: f.apiId, ratelimit: { limit: 1 } }],
      ["ratelimit type slow", { apiId: f.apiId, ratelimit: { limit: 1, duration: 60_000, type: "slow" } }],
      ...metaRefusals({ apiId: f.apiId }),
      ["meta null", { apiId: f.apiId, meta: null }],
      ["permissions that PostgreSQL would both store as U+FFFD", { apiId: f.apiId, permissions: ["\ud800", "\udfff"] }],
      ["a lone surrogate among good permissions", { apiId: f.apiId, permissions: ["read", "wr\ud83dite"] }],
      ["roles with a lone surrogate", { apiId: f.apiId, roles: ["\udbff"] }],
      ["roles with a 513-char name", { apiId: f.apiId, roles: ["x".repeat(513)] }],
      ["1001 permissions", { apiId: f.apiId, permissions: Array.from({ length: 1001 }, (_, i) => `p${i}`) }],
      ["empty permission", { apiId: f.apiId, permissions: [""] }],
      ["recoverable yes", { apiId: f.apiId, recoverable: "yes" }],
    ],
  },
  {
    path: "/v1/keys.updateKey",
    valid: (f) => ({
      keyId: f.keyId,
      name: "renamed",
      ownerId: "owner",
      externalId: "owner",
      meta: { plan: "pro" },
      expires: FUTURE,
      remaining: 5,
      refill: { interval: "daily", amount: 5 },
      ratelimit: { limit: 5, duration: 60_000, async: true },
      enabled: true,
      environment: "test",
      roles: ["reader", "writer"],
      permissions: ["read"],
    }),
    nullable: ["name", "ownerId", "externalId", "meta", "expires", "remaining", "refill", "ratelimit", "environment"],
    opaque: ["meta"],
    extra: (f) => [
      ["expires in the past", { keyId: f.keyId, expires: Date.now() - 1 }],
      ["remaining -1", { keyId: f.keyId, remaining: -1 }],
      ["remaining 2^53", { keyId: f.keyId, remaining: 2 ** 53 }],
      ["refill on an unlimited key", { keyId: f.keyId, remaining: null, refill: { interval: "daily", amount: 1 } }],
      ["refill weekly", { keyId: f.keyId, refill: { interval: "weekly", amount: 1 } }],
      ["role reference without a name", { keyId: f.keyId, roles: [{ create: true }] }],
      ...metaRefusals({ keyId: f.keyId }),
      ["permissions that PostgreSQL would both store as U+FFFD", { keyId: f.keyId, permissions: ["\ud800", "\udfff"] }],
      ["permission reference with a lone surrogate", { keyId: f.keyId, permissions: [{ name: "\ud800", create: true }] }],
      ["role reference with a lone surrogate id", { keyId: f.keyId, roles: [{ id: "r\udfff" }] }],
      ["roles with a lone surrogate", { keyId: f.keyId, roles: ["ok", "\ud800"] }],
      ["role reference as number", { keyId: f.keyId, roles: [{ name: "r" }, 1] }],
      ["permission reference with a long name", { keyId: f.keyId, permissions: [{ name: "x".repeat(513) }] }],
      ["enabled null", { keyId: f.keyId, enabled: null }],
    ],
  },
  {
    path: "/v1/keys.updateRemaining",
    valid: (f) => ({ keyId: f.keyId, op: "set", value: 5 }),
    nullable: ["value"],
    extra: (f) => [
      ["op multiply", { keyId: f.keyId, op: "multiply", value: 2 }],
      ["op INCREMENT", { keyId: f.keyId, op: "INCREMENT", value: 2 }],
      ["op missing", { keyId: f.keyId, value: 2 }],
      ["value missing", { keyId: f.keyId, op: "set" }],
      ["increment by null", { keyId: f.keyId, op: "increment", value: null }],
      ["decrement by null", { keyId: f.keyId, op: "decrement", value: null }],
      ["increment by -1", { keyId: f.keyId, op: "increment", value: -1 }],
      ["set 2^31", { keyId: f.keyId, op: "set", value: 2 ** 31 }],
    ],
  },
  {
    path: "/v1/keys.deleteKey",
    valid: (f) => ({ keyId: f.keyId, permanent: false }),
    extra: (f) => [["permanent as 1", { keyId: f.keyId, permanent: 1 }]],
  },
  {
    path: "/v1/keys.verifyKey",
    valid: (f) => ({
      key: f.key,
      apiId: f.apiId,
      tags: ["t"],
      authorization: { permissions: { and: ["read", { or: ["read", "write"] }] } },
      remaining: { cost: 1 },
      ratelimit: { cost: 1 },
      ratelimits: [{ name: "extra", cost: 1, limit: 5, duration: 60_000 }],
    }),
    nullable: ["authorization.permissions"],
    opaque: ["authorization.permissions"],
    anyString: ["key"],
    extra: (f) => [
      ["empty key", { key: "" }],
      ["key of 10 000", { key: LONG }],
      ["cost -1", { key: f.key, remaining: { cost: -1 } }],
      ["cost 2^53", { key: f.key, remaining: { cost: 2 ** 53 } }],
      ["11 rate limits", { key: f.key, ratelimits: Array.from({ length: 11 }, (_, i) => ({ name: `r${i}` })) }],
      ["rate limit without a name", { key: f.key, ratelimits: [{ cost: 1 }] }],
      ["101 tags", { key: f.key, tags: Array.from({ length: 101 }, (_, i) => `t${i}`) }],
      ["tag with a lone surrogate", { key: f.key, tags: ["\ud800"] }],
      ["permission query: empty and", { key: f.key, authorization: { permissions: { and: [] } } }],
      ["permission query: xor", { key: f.key, authorization: { permissions: { xor: ["a"] } } }],
      ["permission query: and plus or", { key: f.key, authorization: { permissions: { and: ["a"], or: ["b"] } } }],
      ["permission query: number", { key: f.key, authorization: { permissions: 1 } }],
      ["permission query: empty name", { key: f.key, authorization: { permissions: "" } }],
      ["permission query: 9 deep", { key: f.key, authorization: { permissions: JSON.parse(nest(8, "a")) } }],
      ["permission query: 257 nodes", { key: f.key, authorization: { permissions: { or: Array.from({ length: 256 }, (_, i) => `p${i}`) } } }],
    ],
  },
  {
    path: "/v1/rootKeys.createRootKey",
    valid: () => ({ name: "ci", permissions: ["api.*.read_key"], expires: FUTURE }),
    extra: () => [
      ["no permissions", { name: "ci", permissions: [] }],
      ["wildcard action", { name: "ci", permissions: ["api.*.*"] }],
      ["wildcard resource", { name: "ci", permissions: ["*.*.read_key"] }],
      ["upper-case action", { name: "ci", permissions: ["api.*.READ_KEY"] }],
      ["two-part permission", { name: "ci", permissions: ["api.read_key"] }],
      ["permission of 10 000", { name: "ci", permissions: [`api.${LONG}.read_key`] }],
      ["1001 permissions", { name: "ci", permissions: Array.from({ length: 1001 }, (_, i) => `api.a${i}.read_key`) }],
      ["expires in the past", { name: "ci", permissions: ["api.*.read_key"], expires: Date.now() - 1000 }],
      ["expires 2^53", { name: "ci", permissions: ["api.*.read_key"], expires: 2 ** 53 }],
    ],
  },
  { path: "/v1/rootKeys.deleteRootKey", valid: (f) => ({ keyId: f.rootKeyId }), extra: () => [["keyId missing", {}]] },
  {
    path: "/v1/migrations.createKeys",
    valid: (f) => [
      {
        apiId: f.apiId,
        hash: { value: sha256Base64(), variant: "sha256_base64" },
        prefix: "sk_imp",
        start: "sk_imp_5fBU",
        name: "imported",
        ownerId: "owner",
        externalId: "owner",
        meta: { plan: "pro" },
        roles: ["reader"],
        permissions: ["read"],
        expires: FUTURE,
        remaining: 5,
        refill: { interval: "monthly", amount: 5, refillDay: 3 },
        ratelimit: { limit: 5, duration: 60_000 },
        enabled: true,
        environment: "test",
      },
    ],
    opaque: ["meta"],
    extra: (f) => [
      ["no keys", []],
      ["101 keys", Array.from({ length: 101 }, () => ({ apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" } }))],
      ["an object instead of the list", { apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" } }],
      ["variant sha256_hex", [{ apiId: f.apiId, hash: { value: "ab".repeat(32), variant: "sha256_hex" } }]],
      ["hash not base64", [{ apiId: f.apiId, hash: { value: "!".repeat(43) + "=", variant: "sha256_base64" } }]],
      ["hash of 16 bytes", [{ apiId: f.apiId, hash: { value: randomBytes(16).toString("base64"), variant: "sha256_base64" } }]],
      ["hash as unpadded base64", [{ apiId: f.apiId, hash: { value: sha256Base64().slice(0, -1), variant: "sha256_base64" } }]],
      ["hash as url-safe base64", [{ apiId: f.apiId, hash: { value: `${"-_".repeat(21)}A=`, variant: "sha256_base64" } }]],
      ["a bad hash after a good one", [{ apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" } }, { apiId: f.apiId, hash: { value: "x", variant: "sha256_base64" } }]],
      ["plaintext instead of a hash", [{ apiId: f.apiId, plaintext: "sk_123" }]],
      ["remaining -1", [{ apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" }, remaining: -1 }]],
      ["refill without remaining", [{ apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" }, refill: { interval: "daily", amount: 5 } }]],
      ["expires in the past", [{ apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" }, expires: Date.now() - 60_000 }]],
      ["prefix with a dash", [{ apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" }, prefix: "sk-imp" }]],
      ["root key prefix", [{ apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" }, prefix: "kh_root" }]],
      ["prefix ending in _", [{ apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" }, prefix: "sk_" }]],
      ["start of 33", [{ apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" }, start: "s".repeat(33) }]],
      ["meta with a lone surrogate value", [{ apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" }, meta: { a: "\ud800" } }]],
      ["meta one byte over the limit", [{ apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" }, meta: metaOfBytes(MAX_META_BYTES + 1) }]],
      ["1001 permissions", [{ apiId: f.apiId, hash: { value: sha256Base64(), variant: "sha256_base64" }, permissions: Array.from({ length: 1001 }, (_, i) => `p${i}`) }]],
    ],
  },
  {
    path: "/v2/apis.createApi",
    valid: () => ({ name: "payments" }),
    extra: () => [
      ["name of 256", { name: "x".repeat(256) }],
      ["__proto__ instead of name", JSON.parse('{"__proto__":{"name":"x"}}')],
    ],
  },
  { path: "/v2/apis.getApi", valid: (f) => ({ apiId: f.apiId }), extra: () => [["apiId of 256", { apiId: "a".repeat(256) }]] },
  {
    path: "/v2/analytics.getVerifications",
    // keyId, tag and groupBy take one value or a list, so a string is no wrong type for them: hand-written below.
    valid: (f) => ({ apiId: f.apiId, start: 1_000, end: FUTURE, limit: 10, orderBy: "total", order: "desc" }),
    extra: (f) => [
      ["Unkey's raw SQL", { query: "SELECT * FROM key_verifications_v1" }],
      ["raw SQL beside the structured parameters", { apiId: f.apiId, query: "SELECT 1" }],
      ["query as an object", { query: { sql: "x" } }],
      ["start after end", { apiId: f.apiId, start: 2_000, end: 1_000 }],
      ["groupBy week", { apiId: f.apiId, groupBy: "week" }],
      ["groupBy tag and tags", { apiId: f.apiId, groupBy: ["tag", "tags"] }],
      ["groupBy as a number", { apiId: f.apiId, groupBy: 1 }],
      ["keyId as a number", { apiId: f.apiId, keyId: 1 }],
      ["keyId empty", { apiId: f.apiId, keyId: [""] }],
      ["101 keyIds", { apiId: f.apiId, keyId: Array.from({ length: 101 }, (_, i) => `key_${i}`) }],
      ["tag with NUL", { apiId: f.apiId, tag: [NUL] }],
      ["tag with a lone surrogate", { apiId: f.apiId, tag: LONE }],
      ["limit 10001", { apiId: f.apiId, limit: 10_001 }],
      ["externalId empty", { apiId: f.apiId, externalId: "" }],
    ],
  },
  { path: "/v2/apis.deleteApi", valid: (f) => ({ apiId: f.apiId }), extra: () => [["apiId of 256", { apiId: "a".repeat(256) }]] },
  {
    path: "/v2/apis.listKeys",
    // Any cursor is a place in the id order: "key_" lists every key.
    valid: (f) => ({ apiId: f.apiId, limit: 10, cursor: "key_", externalId: "owner", decrypt: false, revalidateKeysCache: false }),
    extra: (f) => [
      ["limit 0", { apiId: f.apiId, limit: 0 }],
      ["limit 101", { apiId: f.apiId, limit: 101 }],
      ["cursor of 256", { apiId: f.apiId, cursor: "c".repeat(256) }],
      ["externalId of 256", { apiId: f.apiId, externalId: "o".repeat(256) }],
    ],
  },
  {
    path: "/v2/keys.createKey",
    valid: (f) => ({
      apiId: f.apiId,
      prefix: "sk_live",
      byteLength: 24,
      name: "key",
      externalId: "owner",
      meta: { plan: "pro" },
      expires: FUTURE,
      credits: { remaining: 5, refill: { interval: "monthly", amount: 5, refillDay: 3 } },
      ratelimits: [{ name: "requests", limit: 5, duration: 60_000, autoApply: true }],
      enabled: true,
      roles: ["reader"],
      permissions: ["read"],
    }),
    opaque: ["meta"],
    extra: (f) => [
      ["byteLength 15", { apiId: f.apiId, byteLength: 15 }],
      ["byteLength 256", { apiId: f.apiId, byteLength: 256 }],
      ["credits.remaining -1", { apiId: f.apiId, credits: { remaining: -1 } }],
      ["credits.remaining 2^31", { apiId: f.apiId, credits: { remaining: 2 ** 31 } }],
      ["credits without remaining", { apiId: f.apiId, credits: {} }],
      ["refill without remaining", { apiId: f.apiId, credits: { refill: { interval: "daily", amount: 5 } } }],
      ["refill on unlimited credits", { apiId: f.apiId, credits: { remaining: null, refill: { interval: "daily", amount: 5 } } }],
      ["refill weekly", { apiId: f.apiId, credits: { remaining: 5, refill: { interval: "weekly", amount: 5 } } }],
      ["refill amount 0", { apiId: f.apiId, credits: { remaining: 5, refill: { interval: "daily", amount: 0 } } }],
      ["refillDay on daily", { apiId: f.apiId, credits: { remaining: 5, refill: { interval: "daily", amount: 5, refillDay: 3 } } }],
      ["refillDay 32", { apiId: f.apiId, credits: { remaining: 5, refill: { interval: "monthly", amount: 5, refillDay: 32 } } }],
      ["ratelimits with duplicate names", { apiId: f.apiId, ratelimits: [rl("a"), rl("a")] }],
      ["21 ratelimits", { apiId: f.apiId, ratelimits: Array.from({ length: 21 }, (_, i) => rl(`r${i}`)) }],
      ["ratelimit without limit", { apiId: f.apiId, ratelimits: [{ name: "a", duration: 60_000 }] }],
      ["ratelimit duration 999", { apiId: f.apiId, ratelimits: [{ ...rl("a"), duration: 999 }] }],
      ["ratelimit limit 0", { apiId: f.apiId, ratelimits: [{ ...rl("a"), limit: 0 }] }],
      ["ratelimits null", { apiId: f.apiId, ratelimits: null }],
      ["expires in the past", { apiId: f.apiId, expires: Date.now() - 60_000 }],
      ["prefix with a dash", { apiId: f.apiId, prefix: "sk-live" }],
      ["root key prefix", { apiId: f.apiId, prefix: "kh_root" }],
      ["meta null", { apiId: f.apiId, meta: null }],
      ...metaRefusals({ apiId: f.apiId }),
      ["1001 permissions", { apiId: f.apiId, permissions: Array.from({ length: 1001 }, (_, i) => `p${i}`) }],
      ["roles with a 513-char name", { apiId: f.apiId, roles: ["x".repeat(513)] }],
      ["recoverable yes", { apiId: f.apiId, recoverable: "yes" }],
    ],
  },
  {
    path: "/v2/keys.getKey",
    valid: (f) => ({ keyId: f.keyId, decrypt: false }),
    extra: (f) => [
      ["keyId of 256", { keyId: "k".repeat(256) }],
      ["decrypt as string", { keyId: f.keyId, decrypt: "false" }],
    ],
  },
  {
    path: "/v2/keys.updateKey",
    valid: (f) => ({
      keyId: f.keyId,
      name: "renamed",
      externalId: "owner",
      meta: { plan: "pro" },
      expires: FUTURE,
      credits: { remaining: 5, refill: { interval: "daily", amount: 5 } },
      ratelimits: [{ name: "requests", limit: 5, duration: 60_000, autoApply: true }],
      enabled: true,
      roles: ["reader", "writer"],
      permissions: ["read"],
    }),
    nullable: ["name", "externalId", "meta", "expires", "credits", "credits.remaining", "credits.refill", "ratelimits"],
    opaque: ["meta"],
    extra: (f) => [
      ["expires in the past", { keyId: f.keyId, expires: Date.now() - 1 }],
      ["credits.remaining -1", { keyId: f.keyId, credits: { remaining: -1 } }],
      ["credits.remaining 2^53", { keyId: f.keyId, credits: { remaining: 2 ** 53 } }],
      ["refill on unlimited credits", { keyId: f.keyId, credits: { remaining: null, refill: { interval: "daily", amount: 1 } } }],
      ["refill weekly", { keyId: f.keyId, credits: { refill: { interval: "weekly", amount: 1 } } }],
      ["ratelimits with duplicate names", { keyId: f.keyId, ratelimits: [rl("a"), rl("a")] }],
      ["21 ratelimits", { keyId: f.keyId, ratelimits: Array.from({ length: 21 }, (_, i) => rl(`r${i}`)) }],
      ["enabled null", { keyId: f.keyId, enabled: null }],
      ["roles null", { keyId: f.keyId, roles: null }],
      ["permissions null", { keyId: f.keyId, permissions: null }],
      ["role reference object", { keyId: f.keyId, roles: [{ name: "r" }] }],
      ...metaRefusals({ keyId: f.keyId }),
      ["permissions that PostgreSQL would both store as U+FFFD", { keyId: f.keyId, permissions: ["\ud800", "\udfff"] }],
    ],
  },
  {
    path: "/v2/keys.deleteKey",
    valid: (f) => ({ keyId: f.keyId, permanent: false }),
    extra: (f) => [["permanent as 1", { keyId: f.keyId, permanent: 1 }]],
  },
  {
    path: "/v2/keys.updateCredits",
    valid: (f) => ({ keyId: f.keyId, operation: "set", value: 5 }),
    nullable: ["value"],
    extra: (f) => [
      ["operation multiply", { keyId: f.keyId, operation: "multiply", value: 2 }],
      ["operation INCREMENT", { keyId: f.keyId, operation: "INCREMENT", value: 2 }],
      ["operation missing", { keyId: f.keyId, value: 2 }],
      ["increment by null", { keyId: f.keyId, operation: "increment", value: null }],
      ["increment without a value", { keyId: f.keyId, operation: "increment" }],
      ["decrement by null", { keyId: f.keyId, operation: "decrement", value: null }],
      ["increment by -1", { keyId: f.keyId, operation: "increment", value: -1 }],
      ["set 2^31", { keyId: f.keyId, operation: "set", value: 2 ** 31 }],
    ],
  },
  {
    path: "/v2/keys.whoami",
    valid: (f) => ({ key: f.key }),
    anyString: ["key"],
    extra: () => [["key of 10 000", { key: LONG }]],
  },
  {
    path: "/v2/keys.verifyKey",
    valid: (f) => ({
      key: f.key,
      tags: ["endpoint=/users"],
      permissions: "read AND (read OR write)",
      credits: { cost: 1 },
      ratelimits: [{ name: "extra", cost: 1, limit: 5, duration: 60_000 }],
    }),
    // migrationId is left out: as in Unkey it is any text up to 256 characters (Keyhold ignores it), so only its bound is refused.
    anyString: ["key"],
    extra: (f) => [
      ["key of 513", { key: "k".repeat(513) }],
      ["credits.cost -1", { key: f.key, credits: { cost: -1 } }],
      ["credits.cost 2^31", { key: f.key, credits: { cost: 2 ** 31 } }],
      ["credits without cost", { key: f.key, credits: { cost: null } }],
      ["21 ratelimits", { key: f.key, ratelimits: Array.from({ length: 21 }, (_, i) => rl(`r${i}`)) }],
      ["ratelimit without a name", { key: f.key, ratelimits: [{ cost: 1, limit: 1, duration: 60_000 }] }],
      ["ratelimit duration 999", { key: f.key, ratelimits: [{ name: "a", limit: 1, duration: 999 }] }],
      ["ratelimit cost -1", { key: f.key, ratelimits: [{ name: "a", cost: -1, limit: 1, duration: 60_000 }] }],
      ["101 tags", { key: f.key, tags: Array.from({ length: 101 }, (_, i) => `t${i}`) }],
      ["tag of 513", { key: f.key, tags: ["t".repeat(513)] }],
      ["tag with a lone surrogate", { key: f.key, tags: ["\ud800"] }],
      ["permission query: a AND", { key: f.key, permissions: "a AND" }],
      ["permission query: (a", { key: f.key, permissions: "(a" }],
      ["permission query: a)", { key: f.key, permissions: "a)" }],
      ["permission query: a OR OR b", { key: f.key, permissions: "a OR OR b" }],
      ["permission query: AND alone", { key: f.key, permissions: "AND" }],
      ["permission query: ()", { key: f.key, permissions: "()" }],
      ["permission query: only spaces", { key: f.key, permissions: "   " }],
      ["permission query: a b", { key: f.key, permissions: "a b" }],
      ["permission query: a && b", { key: f.key, permissions: "a && b" }],
      ["permission query: a name with a NUL", { key: f.key, permissions: NUL }],
      ["permission query: a name of 513", { key: f.key, permissions: "p".repeat(513) }],
      ["permission query of 1001", { key: f.key, permissions: `${"a OR ".repeat(199)}abcdef` }],
      ["permission query: 10 deep", { key: f.key, permissions: `${"(".repeat(10)}a${")".repeat(10)}` }],
      ["permission query: 1000 open parentheses", { key: f.key, permissions: "(".repeat(1000) }],
      ["permission query as v1's tree", { key: f.key, permissions: { and: ["read"] } }],
      ["migrationId of 257", { key: f.key, migrationId: "m".repeat(257) }],
    ],
  },
  {
    path: "/v2/keys.rerollKey",
    valid: (f) => ({ keyId: f.keyId, expiration: 60_000 }),
    extra: (f) => [
      ["expiration -1", { keyId: f.keyId, expiration: -1 }],
      ["expiration as string", { keyId: f.keyId, expiration: "60000" }],
      ["expiration missing", { keyId: f.keyId }],
      ["expiration null", { keyId: f.keyId, expiration: null }],
      ["expiration past year 2100", { keyId: f.keyId, expiration: 4_102_444_800_001 }],
      ["expiration 2^53", { keyId: f.keyId, expiration: 2 ** 53 }],
    ],
  },
  {
    path: "/v2/keys.migrateKeys",
    valid: (f) => ({
      migrationId: "sha256_base64",
      apiId: f.apiId,
      keys: [
        {
          hash: sha256Base64(),
          name: "imported",
          externalId: "owner",
          meta: { plan: "pro" },
          expires: FUTURE,
          credits: { remaining: 5, refill: { interval: "daily", amount: 5 } },
          ratelimits: [{ name: "requests", limit: 5, duration: 60_000, autoApply: true }],
          enabled: true,
          roles: ["reader"],
          permissions: ["read"],
        },
      ],
    }),
    opaque: ["keys.meta"],
    extra: (f) => {
      const body = (keys: unknown[], migrationId = "sha256_base64") => ({ migrationId, apiId: f.apiId, keys });
      return [
        ["no keys", body([])],
        ["1001 keys", body(Array.from({ length: 1001 }, () => ({ hash: sha256Base64() })))],
        ["hash not base64", body([{ hash: "!".repeat(43) + "=" }])],
        ["hash of 16 bytes", body([{ hash: randomBytes(16).toString("base64") }])],
        ["hash as unpadded base64", body([{ hash: sha256Base64().slice(0, -1) }])],
        ["hash as hex for sha256_base64", body([{ hash: "ab".repeat(32) }])],
        ["hex hash of 63 digits", body([{ hash: "a".repeat(63) }], "sha256_hex")],
        ["hex hash of 32 digits", body([{ hash: "ab".repeat(16) }], "sha256_hex")],
        ["hex hash with a g", body([{ hash: `${"a".repeat(63)}g` }], "sha256_hex")],
        ["base64 hash for sha256_hex", body([{ hash: sha256Base64() }], "sha256_hex")],
        ["a bad hash after a good one", body([{ hash: sha256Base64() }, { hash: "x" }])],
        ["credits.remaining -1", body([{ hash: sha256Base64(), credits: { remaining: -1 } }])],
        ["refill without remaining", body([{ hash: sha256Base64(), credits: { refill: { interval: "daily", amount: 5 } } }])],
        ["ratelimits with duplicate names", body([{ hash: sha256Base64(), ratelimits: [rl("a"), rl("a")] }])],
        ["expires in the past", body([{ hash: sha256Base64(), expires: Date.now() - 60_000 }])],
        ["meta with a lone surrogate value", body([{ hash: sha256Base64(), meta: { a: "\ud800" } }])],
        ["meta one byte over the limit", body([{ hash: sha256Base64(), meta: metaOfBytes(MAX_META_BYTES + 1) }])],
      ];
    },
  },
  // Identities (v1 and v2): the same bounds on meta and names as keys, Unkey's 50 limits.
  {
    path: "/v1/identities.createIdentity",
    valid: () => ({ externalId: freshExternalId(), meta: { plan: "pro" }, ratelimits: identityLimits() }),
    opaque: ["meta"],
    extra: () => [["externalId missing", { meta: {} }], ["externalId of 256", { externalId: "e".repeat(256) }], ...metaRefusals({ externalId: freshExternalId() }), ...identityLimitRefusals({ externalId: freshExternalId() })],
  },
  {
    path: "/v1/identities.updateIdentity",
    valid: (f) => ({ identityId: f.identityId, meta: { plan: "pro" }, ratelimits: identityLimits() }),
    opaque: ["meta"],
    extra: (f) => [
      ["neither identityId nor externalId", { meta: { plan: "pro" } }],
      ["environment with a NUL", { identityId: f.identityId, environment: NUL }],
      ...metaRefusals({ identityId: f.identityId }),
      ...identityLimitRefusals({ identityId: f.identityId }),
    ],
  },
  { path: "/v1/identities.deleteIdentity", valid: (f) => ({ identityId: f.identityId }), extra: () => [["identityId missing", {}], ["identityId of 256", { identityId: "i".repeat(256) }]] },
  {
    path: "/v2/identities.createIdentity",
    valid: () => ({ externalId: freshExternalId(), meta: { plan: "pro" }, ratelimits: identityLimits(true) }),
    opaque: ["meta"],
    extra: () => [["externalId missing", { meta: {} }], ["externalId of 256", { externalId: "e".repeat(256) }], ...metaRefusals({ externalId: freshExternalId() }), ...identityLimitRefusals({ externalId: freshExternalId() })],
  },
  { path: "/v2/identities.getIdentity", valid: (f) => ({ identity: f.externalId }), extra: () => [["identity missing", {}], ["identity of 256", { identity: "i".repeat(256) }]] },
  {
    path: "/v2/identities.listIdentities",
    valid: () => ({ limit: 10, cursor: "id_0", search: "ext" }),
    extra: () => [
      ["limit 0", { limit: 0 }],
      ["limit 101", { limit: 101 }],
      ["search of 257", { search: "s".repeat(257) }],
    ],
  },
  {
    path: "/v2/identities.updateIdentity",
    valid: (f) => ({ identity: f.identityId, meta: { plan: "pro" }, ratelimits: identityLimits(true) }),
    opaque: ["meta"],
    extra: (f) => [["identity missing", { meta: {} }], ...metaRefusals({ identity: f.identityId }), ...identityLimitRefusals({ identity: f.identityId })],
  },
  { path: "/v2/identities.deleteIdentity", valid: (f) => ({ identity: f.externalId }), extra: () => [["identity missing", {}], ["identity of 256", { identity: "i".repeat(256) }]] },
  ...(["permissions", "roles"] as const).flatMap((kind): PostRoute[] =>
    (["add", "remove", "set"] as const).map((edit) => ({
      path: `/v2/keys.${edit}${kind === "permissions" ? "Permissions" : "Roles"}`,
      valid: (f: Fixture) => ({ keyId: f.keyId, [kind]: ["read", "admin.*"] }),
      extra: (f: Fixture) => [
        ...(edit === "set" ? [] : ([[`no ${kind}`, { keyId: f.keyId, [kind]: [] }]] as [string, unknown][])),
        [`${kind} missing`, { keyId: f.keyId }],
        [`1001 ${kind}`, { keyId: f.keyId, [kind]: Array.from({ length: 1001 }, (_, i) => `n${i}`) }],
        ["an empty name", { keyId: f.keyId, [kind]: ["read", ""] }],
        ["a 513-char name", { keyId: f.keyId, [kind]: ["x".repeat(513)] }],
        ["names that PostgreSQL would both store as U+FFFD", { keyId: f.keyId, [kind]: ["\ud800", "\udfff"] }],
        ["a name with a NUL", { keyId: f.keyId, [kind]: [NUL] }],
        ["a reference object instead of a name", { keyId: f.keyId, [kind]: [{ name: "read" }] }],
        ["the other kind's field", { keyId: f.keyId, [kind === "permissions" ? "roles" : "permissions"]: ["read"] }],
      ],
    })),
  ),
  // Standalone rate limits: NS (made in beforeAll, with an override for `keep`); setOverride's control makes `vip`, deleteOverride's deletes it.
  ...(["/v1/ratelimits.limit", "/v2/ratelimit.limit"] as const).map(
    (path): PostRoute => ({
      path,
      valid: () => ({
        namespace: NS,
        identifier: "user_1",
        limit: 10,
        duration: 60_000,
        cost: 1,
        ...(path.startsWith("/v1/") && { async: false, meta: { route: "/x" }, resources: [{ type: "project", id: "p_1", name: "dub", meta: { a: 1 } }] }),
      }),
      opaque: ["meta", "resources.meta"],
      extra: () => [
        ...limitRefusals({ namespace: NS, identifier: "u", limit: 10, duration: 60_000 }),
        ...(path.startsWith("/v1/")
          ? ([
              ["101 resources", { namespace: NS, identifier: "u", limit: 1, duration: 60_000, resources: Array.from({ length: 101 }, () => ({ type: "t", id: "i" })) }],
              ...metaRefusals({ namespace: NS, identifier: "u", limit: 1, duration: 60_000 }),
            ] as [string, unknown][])
          : []),
      ],
    }),
  ),
  {
    path: "/v2/ratelimit.multiLimit",
    valid: () => [{ namespace: NS, identifier: "user_1", limit: 10, duration: 60_000, cost: 1 }],
    extra: () => [
      ["no checks", []],
      ["101 checks", Array.from({ length: 101 }, () => ({ namespace: NS, identifier: "u", limit: 1, duration: 60_000 }))],
      ["a bad check after a good one", [{ namespace: NS, identifier: "u", limit: 1, duration: 60_000 }, { namespace: NS, identifier: "u", limit: 0, duration: 60_000 }]],
      ...limitRefusals({ namespace: NS, identifier: "u", limit: 10, duration: 60_000 }).map(([label, body]): [string, unknown] => [label, [body]]),
    ],
  },
  {
    path: "/v1/ratelimits.setOverride",
    valid: () => ({ namespaceName: NS, identifier: "vip", limit: 5, duration: 60_000, async: false }),
    extra: () => [
      ["no namespace", { identifier: "vip", limit: 5, duration: 60_000 }],
      ["identifier of 2 (Unkey v1: at least 3)", { namespaceName: NS, identifier: "ab", limit: 5, duration: 60_000 }],
      ...overrideRefusals({ namespaceName: NS }),
    ],
  },
  {
    path: "/v1/ratelimits.deleteOverride",
    valid: () => ({ namespaceName: NS, identifier: "vip" }),
    extra: () => [
      ["no namespace", { identifier: "vip" }],
      ["namespaceId of 10 000", { namespaceId: LONG, identifier: "vip" }],
      ["identifier missing", { namespaceName: NS }],
    ],
  },
  {
    path: "/v2/ratelimit.setOverride",
    valid: () => ({ namespace: NS, identifier: "vip", limit: 5, duration: 60_000 }),
    extra: () => overrideRefusals({ namespace: NS }),
  },
  {
    path: "/v2/ratelimit.getOverride",
    valid: () => ({ namespace: NS, identifier: "keep" }),
    extra: () => [
      ["identifier missing", { namespace: NS }],
      ["identifier of 513", { namespace: NS, identifier: "x".repeat(513) }],
    ],
  },
  {
    path: "/v2/ratelimit.listOverrides",
    valid: () => ({ namespace: NS, limit: 10 }),
    extra: () => [
      ["limit 0", { namespace: NS, limit: 0 }],
      ["limit 101", { namespace: NS, limit: 101 }],
      ["cursor of 10 000", { namespace: NS, cursor: LONG }],
      ["cursor with NUL", { namespace: NS, cursor: NUL }],
    ],
  },
  {
    path: "/v2/ratelimit.deleteOverride",
    valid: () => ({ namespace: NS, identifier: "vip" }),
    extra: () => [["namespace missing", { identifier: "vip" }]],
  },
  ...rbacPostRoutes(),
  ...(["permissions", "roles"] as const).flatMap((kind): PostRoute[] =>
    (["add", "remove", "set"] as const).map((edit) => ({
      path: `/v1/keys.${edit}${kind === "permissions" ? "Permissions" : "Roles"}`,
      valid: (f: Fixture) => ({ keyId: f.keyId, [kind]: [{ name: "read", ...(edit !== "remove" && { create: true }) }] }),
      extra: (f: Fixture) => [
        ...(edit === "set" ? [] : ([[`no ${kind}`, { keyId: f.keyId, [kind]: [] }]] as [string, unknown][])),
        [`${kind} missing`, { keyId: f.keyId }],
        [`1001 ${kind}`, { keyId: f.keyId, [kind]: Array.from({ length: 1001 }, (_, i) => ({ name: `n${i}`, create: true })) }],
        ["a reference without id or name", { keyId: f.keyId, [kind]: [{}] }],
        ["a 513-char name", { keyId: f.keyId, [kind]: [{ name: "x".repeat(513) }] }],
        ["names that PostgreSQL would both store as U+FFFD", { keyId: f.keyId, [kind]: [{ name: "\ud800" }, { name: "\udfff" }] }],
        ["a name with a NUL", { keyId: f.keyId, [kind]: [{ name: NUL }] }],
      ],
    })),
  ),
  ...custodyPostRoutes(),
];

/** A policy that never applies: the fixtures' and the control's (any other could hold or deny the suite's own requests). */
const INERT_POLICY = { name: "inert", effect: "DENY", condition: "activity.type == 'NO_SUCH_ACTIVITY'" };
/** The name of the APIs whose creation HOLD_POLICY holds (beforeAll makes the activities approve and reject name). */
const HELD_API = "held for approval";
const HOLD_POLICY = { name: "hold", effect: "ALLOW", condition: `activity.type == 'CREATE_API' && activity.params.name == '${HELD_API}'`, consensus: "approvers.count() >= 2" };
/** A P-256 public JWK to export to (only its shape and point are read before the vault is asked). */
const TARGET = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" }) as Record<string, string>;

/** What every export refuses as `targetPublicKey`, on top of `base` (what it exports). */
const targetRefusals = (base: Body): [label: string, body: unknown][] => {
  const flip = (s: string) => `${s.slice(0, 20)}${s[20] === "A" ? "B" : "A"}${s.slice(21)}`;
  return [
    ["targetPublicKey missing", base],
    ["a private JWK (with d)", { ...base, targetPublicKey: { ...TARGET, d: TARGET.x } }],
    ["a point not on the curve", { ...base, targetPublicKey: { ...TARGET, x: flip(TARGET.x!) } }],
    ["P-384", { ...base, targetPublicKey: { ...TARGET, crv: "P-384" } }],
    ["RSA", { ...base, targetPublicKey: { kty: "RSA", n: "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", e: "AQAB" } }],
    ["a symmetric key", { ...base, targetPublicKey: { kty: "oct", k: "GawgguFyGrWKav7AX4VKUg" } }],
    ["x of 42", { ...base, targetPublicKey: { ...TARGET, x: TARGET.x!.slice(1) } }],
    ["x in standard base64", { ...base, targetPublicKey: { ...TARGET, x: `${TARGET.x!.slice(0, 42)}+` } }],
  ];
};

/** What a policy's expressions refuse, on top of `base` (the rest of a valid create or update). */
const expressionRefusals = (base: Body): [label: string, body: unknown][] => [
  ["a condition that does not parse", { ...base, condition: "activity.type ==" }],
  ["a condition of 4097", { ...base, condition: `activity.type == '${"x".repeat(4097 - "activity.type == ''".length)}'` }],
  ["a condition on an unknown variable", { ...base, condition: "nobody.id == 'x'" }],
  ["a condition that is not a boolean", { ...base, condition: "activity.type" }],
  ["a condition using matches()", { ...base, condition: "activity.type.matches('^X')" }],
  ["a consensus that does not parse", { ...base, consensus: "approvers.count( >= 2" }],
  ["a consensus that is not a boolean", { ...base, consensus: "approvers.count()" }],
  ["a consensus of 4097", { ...base, consensus: `approvers.count() >= ${"0".repeat(4097 - "approvers.count() >= ".length)}` }],
  ["consensus as number", { ...base, consensus: 2 }],
  ["consensus with a NUL", { ...base, consensus: `approvers.count() >= 2 ${NUL}` }],
  ["consensus with a lone surrogate", { ...base, consensus: `approvers.count() >= 2 || '${LONE}' == ''` }],
  ["notes of 1025", { ...base, notes: "n".repeat(1025) }],
  ["notes with a NUL", { ...base, notes: NUL }],
  ["notes as number", { ...base, notes: 1 }],
];

/**
 * Keyhold's own operations (users.*, audit.*, activities.*, workspaces.*, policies.*, escrow.*,
 * keys.exportKey), v1 and v2 from one definition. v2 reads parse their numbers with z.coerce
 * (one schema serves v1's query text too: src/api/operation.ts), so a v2 `limit` of "10" or
 * true is accepted: their numbers are refused by range in `extra`, not mutated field by field.
 * What the control deletes or rejects is the fixture's `doomed` entry of the route's version.
 */
function custodyPostRoutes(): PostRoute[] {
  const createUser = (path: string): PostRoute => ({
    path,
    valid: () => ({ name: "Alice", email: "alice@example.com", tags: ["ops"] }),
    extra: () => [
      ["name missing", { email: "alice@example.com" }],
      ["name of 256", { name: "n".repeat(256) }],
      ["not an email", { name: "a", email: "alice" }],
      ["33 tags", { name: "a", tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }],
      ["an empty tag", { name: "a", tags: [""] }],
      ["a tag of 65", { name: "a", tags: ["t".repeat(65)] }],
      ["a tag with NUL", { name: "a", tags: [NUL] }],
    ],
  });
  const byUserId = (path: string): PostRoute => ({
    path,
    valid: (f) => ({ userId: f.userId }),
    extra: () => [["userId missing", {}], ["userId of 256", { userId: "u".repeat(256) }]],
  });
  return [
    createUser("/v1/users.createUser"),
    createUser("/v2/users.createUser"),
    byUserId("/v2/users.getUser"),
    byUserId("/v1/users.deleteUser"),
    byUserId("/v2/users.deleteUser"),
    {
      path: "/v2/users.listUsers",
      valid: () => ({ cursor: "usr_0" }),
      extra: () => [["limit 0", { limit: 0 }], ["limit 101", { limit: 101 }], ["limit 1.5", { limit: 1.5 }], ["cursor of 256", { cursor: "c".repeat(256) }]],
    },
    {
      path: "/v2/audit.listLogs",
      valid: (f) => ({ event: "CREATE_USER", activityType: "CREATE_USER", userId: f.userId, rootKeyId: f.rootKeyId, keyId: f.keyId, cursor: "0" }),
      extra: () => [
        ["limit 0", { limit: 0 }],
        ["limit 101", { limit: 101 }],
        ["since -1", { since: -1 }],
        ["until 1.5", { until: 1.5 }],
        ["since 2^53", { since: 2 ** 53 }],
        ["cursor not a seq", { cursor: "abc" }],
        ["cursor negative", { cursor: "-1" }],
      ],
    },
    ...activityPostRoutes(),
    ...quorumPostRoutes(),
    ...policyPostRoutes(),
    ...escrowPostRoutes(),
    ...portalPostRoutes(),
  ];
}

/** portal.*: the configuration (both versions), createSession and exchangeCode, and the session's own routes (v2). */
function portalPostRoutes(): PostRoute[] {
  const branding = { accentColor: "#3355ff", logoUrl: "/logo.svg" };
  const create = (path: string): PostRoute => ({
    path,
    valid: (f) => ({ name: "portal", apiIds: [f.apiId], returnUrl: "https://acme.example/account", branding }),
    extra: (f) => [
      ["name missing", { apiIds: [f.apiId] }],
      ["apiIds missing", { name: "p" }],
      ["apiIds empty", { name: "p", apiIds: [] }],
      ["21 apiIds", { name: "p", apiIds: Array.from({ length: 21 }, () => f.apiId) }],
      ["returnUrl javascript:", { name: "p", apiIds: [f.apiId], returnUrl: "javascript:alert(1)" }],
      ["returnUrl relative", { name: "p", apiIds: [f.apiId], returnUrl: "/account" }],
      ["logoUrl of another origin", { name: "p", apiIds: [f.apiId], branding: { logoUrl: "https://cdn.example/logo.png" } }],
      ["logoUrl protocol-relative", { name: "p", apiIds: [f.apiId], branding: { logoUrl: "//cdn.example/logo.png" } }],
      ["logoUrl data: not an image", { name: "p", apiIds: [f.apiId], branding: { logoUrl: "data:text/html;base64,PHNjcmlwdD4=" } }],
      ["accentColor not #rrggbb", { name: "p", apiIds: [f.apiId], branding: { accentColor: "red" } }],
      ["branding with an unknown field", { name: "p", apiIds: [f.apiId], branding: { css: "x" } }],
    ],
  });
  const byPortalId = (path: string, portalId: (f: Fixture) => string): PostRoute => ({
    path,
    valid: (f) => ({ portalId: portalId(f) }),
    extra: () => [["portalId missing", {}], ["portalId of 256", { portalId: "p".repeat(256) }]],
  });
  const update = (path: string): PostRoute => ({
    path,
    // The portal's own APIs (the control's f.apiId is a fresh API each time: the session's keys must stay in view).
    valid: (f) => ({ portalId: f.portal.portalId, name: "renamed", apiIds: f.portal.apiIds, returnUrl: "https://acme.example/", branding }),
    nullable: ["returnUrl", "branding"],
    extra: (f) => [
      ["portalId missing", { name: "x" }],
      ["name null", { portalId: f.portal.portalId, name: null }],
      ["apiIds null", { portalId: f.portal.portalId, apiIds: null }],
      ["apiIds empty", { portalId: f.portal.portalId, apiIds: [] }],
      ["returnUrl ftp:", { portalId: f.portal.portalId, returnUrl: "ftp://acme.example/" }],
    ],
  });
  const session = (f: Fixture) => f.portal.token;
  return [
    create("/v1/portal.createPortal"),
    create("/v2/portal.createPortal"),
    update("/v1/portal.updatePortal"),
    update("/v2/portal.updatePortal"),
    byPortalId("/v2/portal.getPortal", (f) => f.portal.portalId),
    byPortalId("/v1/portal.deletePortal", (f) => f.portal.doomed.v1),
    byPortalId("/v2/portal.deletePortal", (f) => f.portal.doomed.v2),
    { path: "/v2/portal.listPortals", valid: () => ({ cursor: "ptl_0" }), extra: v2ListRefusals },
    {
      path: "/v2/portal.createSession",
      valid: (f) => ({ portal: f.portal.portalId, externalId: f.externalId, scopes: ["keys:read", "keys:reveal"], preview: false, returnUrl: "https://acme.example/docs" }),
      extra: (f) => [
        ["portal missing", { externalId: f.externalId, scopes: ["keys:read"] }],
        ["externalId missing", { portal: f.portal.portalId, scopes: ["keys:read"] }],
        ["scopes missing", { portal: f.portal.portalId, externalId: f.externalId }],
        ["scopes empty", { portal: f.portal.portalId, externalId: f.externalId, scopes: [] }],
        ["an unknown scope", { portal: f.portal.portalId, externalId: f.externalId, scopes: ["keys:delete"] }],
        ["a scope in upper case", { portal: f.portal.portalId, externalId: f.externalId, scopes: ["KEYS:READ"] }],
        ["returnUrl javascript:", { portal: f.portal.portalId, externalId: f.externalId, scopes: ["keys:read"], returnUrl: "javascript:alert(1)" }],
      ],
    },
    { path: "/v2/portal.exchangeCode", valid: (f) => ({ code: f.portal.code }), extra: () => [["code missing", {}], ["code of 257", { code: "c".repeat(257) }]] },
    { path: "/v2/portal.listKeys", valid: () => ({ limit: 10 }), token: session, extra: () => [["limit 0", { limit: 0 }], ["limit 101", { limit: 101 }], ["cursor of 601", { cursor: "c".repeat(601) }]] },
    {
      path: "/v2/portal.getVerifications",
      valid: (f) => ({ startTime: Date.now() - 3_600_000, endTime: Date.now(), keyId: f.recoverableKeyId }),
      token: session,
      extra: () => [
        ["startTime missing", { endTime: Date.now() }],
        ["endTime missing", { startTime: 1 }],
        ["startTime 0", { startTime: 0, endTime: 5 }],
        // A window backwards or too long is the session's 400 (test/portal/sessions.test.ts): these go without one.
      ],
    },
    {
      path: "/v2/portal.rerollKey",
      valid: (f) => ({ keyId: f.portal.rerollKeyId, expiration: 86_400_000 }),
      token: session,
      extra: (f) => [
        ["keyId missing", { expiration: 0 }],
        ["expiration missing", { keyId: f.portal.rerollKeyId }],
        ["expiration beyond Unkey's bound", { keyId: f.portal.rerollKeyId, expiration: 4_102_444_800_001 }],
      ],
    },
    { path: "/v2/portal.revealKey", valid: (f) => ({ keyId: f.recoverableKeyId }), token: session, extra: () => [["keyId missing", {}], ["keyId of 256", { keyId: "k".repeat(256) }]] },
    {
      path: "/v2/portal.createKey",
      // The portal's recoverable API: the control's f.apiId is a fresh API each time, outside the portal.
      valid: (f) => ({ apiId: f.recoverableApiId, name: "from the portal" }),
      token: session,
      extra: (f) => [
        ["apiId missing", { name: "x" }],
        ["apiId of 256", { apiId: "a".repeat(256) }],
        ["name empty", { apiId: f.recoverableApiId, name: "" }],
        ["name of 256", { apiId: f.recoverableApiId, name: "n".repeat(256) }],
      ],
    },
    {
      path: "/v2/portal.getActivity",
      valid: (f) => ({ activityId: f.portal.heldActivityId }),
      token: session,
      extra: () => [["activityId missing", {}], ["activityId empty", { activityId: "" }], ["activityId of 256", { activityId: "a".repeat(256) }]],
    },
  ];
}

/** What every list of Keyhold's own operations refuses in v2 (`limit` by range: see above). */
function v2ListRefusals(): [label: string, body: unknown][] {
  return [
    ["limit 0", { limit: 0 }],
    ["limit 101", { limit: 101 }],
    ["limit 1.5", { limit: 1.5 }],
    ["limit as a word", { limit: "ten" }],
    ["cursor of 256", { cursor: "c".repeat(256) }],
  ];
}

/** activities.*: approve and reject name an activity HOLD_POLICY holds, and its digest. */
function activityPostRoutes(): PostRoute[] {
  const digestRefusals = (activityId: string): [label: string, body: unknown][] => [
    ["activityId missing", { digest: "0".repeat(64) }],
    ["activityId of 256", { activityId: "a".repeat(256), digest: "0".repeat(64) }],
    ["digest missing", { activityId }],
    ["digest in upper case", { activityId, digest: "A".repeat(64) }],
    ["digest of 63", { activityId, digest: "0".repeat(63) }],
    ["digest of 65", { activityId, digest: "0".repeat(65) }],
    ["digest with a g", { activityId, digest: `${"0".repeat(63)}g` }],
    ["digest in base64", { activityId, digest: randomBytes(32).toString("base64") }],
    ["a digest that is not the activity's", { activityId, digest: "0".repeat(64) }],
  ];
  const decide = (path: string, held: (f: Fixture) => Held): PostRoute => ({
    path,
    valid: (f) => ({ ...held(f) }),
    extra: (f) => digestRefusals(held(f).activityId),
  });
  return [
    { path: "/v2/activities.getActivity", valid: (f) => ({ activityId: f.held.activityId }), extra: () => [["activityId missing", {}], ["activityId of 256", { activityId: "a".repeat(256) }]] },
    {
      path: "/v2/activities.listActivities",
      valid: () => ({ status: "CONSENSUS_NEEDED", type: "CREATE_API", cursor: "act_0" }),
      extra: () => [...v2ListRefusals(), ["status WAITING", { status: "WAITING" }], ["status in lower case", { status: "completed" }], ["type NO_SUCH_ACTIVITY", { type: "NO_SUCH_ACTIVITY" }]],
    },
    // Approving again as the initiator leaves it waiting (one person, one approval): every version's control may.
    decide("/v1/activities.approveActivity", (f) => f.held),
    decide("/v2/activities.approveActivity", (f) => f.held),
    decide("/v1/activities.rejectActivity", (f) => f.doomed.v1.held),
    decide("/v2/activities.rejectActivity", (f) => f.doomed.v2.held),
  ];
}

/** workspaces.*: the control sets a quorum of one, at threshold 1 (it holds nothing). */
function quorumPostRoutes(): PostRoute[] {
  const update = (path: string): PostRoute => ({
    path,
    valid: (f) => ({ userIds: [f.userId], threshold: 1 }),
    extra: (f) => [
      ["userIds missing", { threshold: 1 }],
      ["threshold missing", { userIds: [f.userId] }],
      ["threshold 0", { userIds: [f.userId], threshold: 0 }],
      ["threshold 51", { userIds: [f.userId], threshold: 51 }],
      ["threshold above the users", { userIds: [f.userId], threshold: 2 }],
      ["threshold 2 with no users", { userIds: [], threshold: 2 }],
      ["threshold 2 of one user named twice", { userIds: [f.userId, f.userId], threshold: 2 }],
      ["51 userIds", { userIds: Array.from({ length: 51 }, (_, i) => `usr_${i}`), threshold: 1 }],
      ["an empty userId", { userIds: [""], threshold: 1 }],
      ["a userId of 256", { userIds: ["u".repeat(256)], threshold: 1 }],
      ["a userId with NUL", { userIds: [NUL], threshold: 1 }],
      ["a userId with a lone surrogate", { userIds: [LONE], threshold: 1 }],
      ["a userId as number", { userIds: [1], threshold: 1 }],
    ],
  });
  return [{ path: "/v2/workspaces.getRootQuorum", valid: () => ({}), noFields: true, extra: () => [] }, update("/v1/workspaces.updateRootQuorum"), update("/v2/workspaces.updateRootQuorum")];
}

/**
 * policies.*: every body the control sends is INERT_POLICY's. consensus and notes may be empty
 * (and on update null), so they are not mutated field by field: expressionRefusals has theirs.
 */
function policyPostRoutes(): PostRoute[] {
  const create = (path: string): PostRoute => ({
    path,
    valid: () => ({ ...INERT_POLICY, consensus: "approvers.count() >= 2", notes: "never applies" }),
    opaque: ["consensus", "notes"],
    extra: () => [
      ["name missing", { effect: "DENY", condition: INERT_POLICY.condition }],
      ["effect missing", { name: "x", condition: INERT_POLICY.condition }],
      ["condition missing", { name: "x", effect: "DENY" }],
      ["effect deny", { ...INERT_POLICY, effect: "deny" }],
      ["effect HOLD", { ...INERT_POLICY, effect: "HOLD" }],
      ["consensus null", { ...INERT_POLICY, consensus: null }],
      ["notes null", { ...INERT_POLICY, notes: null }],
      ...expressionRefusals(INERT_POLICY),
    ],
  });
  const update = (path: string): PostRoute => ({
    path,
    valid: (f) => ({ policyId: f.policyId, ...INERT_POLICY, consensus: "approvers.count() >= 2", notes: "never applies" }),
    nullable: ["consensus", "notes"],
    opaque: ["consensus", "notes"],
    extra: (f) => [
      ["policyId missing", { name: "x" }],
      ["policyId of 256", { policyId: "p".repeat(256), name: "x" }],
      ["name null", { policyId: f.policyId, name: null }],
      ["effect null", { policyId: f.policyId, effect: null }],
      ["condition null", { policyId: f.policyId, condition: null }],
      ["effect HOLD", { policyId: f.policyId, effect: "HOLD" }],
      ...expressionRefusals({ policyId: f.policyId }),
    ],
  });
  const byPolicyId = (path: string, policyId: (f: Fixture) => string): PostRoute => ({
    path,
    valid: (f) => ({ policyId: policyId(f) }),
    extra: () => [["policyId missing", {}], ["policyId of 256", { policyId: "p".repeat(256) }]],
  });
  return [
    create("/v1/policies.createPolicy"),
    create("/v2/policies.createPolicy"),
    update("/v1/policies.updatePolicy"),
    update("/v2/policies.updatePolicy"),
    byPolicyId("/v1/policies.deletePolicy", (f) => f.doomed.v1.policyId),
    byPolicyId("/v2/policies.deletePolicy", (f) => f.doomed.v2.policyId),
    byPolicyId("/v2/policies.getPolicy", (f) => f.policyId),
    { path: "/v2/policies.listPolicies", valid: () => ({ cursor: "pol_0" }), extra: v2ListRefusals },
  ];
}

/** escrow.* and keys.exportKey: the exports seal to TARGET. */
function escrowPostRoutes(): PostRoute[] {
  const create = (path: string): PostRoute => ({
    path,
    valid: () => ({ name: "backup" }),
    extra: () => [["name missing", {}], ["name of 256", { name: "n".repeat(256) }]],
  });
  const byEscrowKeyId = (path: string, escrowKeyId: (f: Fixture) => string): PostRoute => ({
    path,
    valid: (f) => ({ escrowKeyId: escrowKeyId(f) }),
    extra: () => [["escrowKeyId missing", {}], ["escrowKeyId of 256", { escrowKeyId: "e".repeat(256) }]],
  });
  const exportEscrowKey = (path: string): PostRoute => ({
    path,
    valid: (f) => ({ escrowKeyId: f.escrowKeyId, targetPublicKey: TARGET }),
    extra: (f) => [["escrowKeyId missing", { targetPublicKey: TARGET }], ...targetRefusals({ escrowKeyId: f.escrowKeyId })],
  });
  const exportKey = (path: string): PostRoute => ({
    path,
    valid: (f) => ({ keyId: f.recoverableKeyId, targetPublicKey: TARGET }),
    extra: (f) => [["keyId missing", { targetPublicKey: TARGET }], ["keyId of 256", { keyId: "k".repeat(256), targetPublicKey: TARGET }], ...targetRefusals({ keyId: f.recoverableKeyId })],
  });
  return [
    create("/v1/escrow.createKey"),
    create("/v2/escrow.createKey"),
    byEscrowKeyId("/v2/escrow.getKey", (f) => f.escrowKeyId),
    { path: "/v2/escrow.listKeys", valid: () => ({ cursor: "esc_0" }), extra: v2ListRefusals },
    byEscrowKeyId("/v1/escrow.deleteKey", (f) => f.doomed.v1.escrowKeyId),
    byEscrowKeyId("/v2/escrow.deleteKey", (f) => f.doomed.v2.escrowKeyId),
    exportEscrowKey("/v1/escrow.exportKey"),
    exportEscrowKey("/v2/escrow.exportKey"),
    exportKey("/v1/keys.exportKey"),
    exportKey("/v2/keys.exportKey"),
  ];
}

/** What a permission's or role's description refuses (it may be empty, as in Unkey's v1, so it is not mutated field by field). */
const descriptionRefusals = (base: Body): [string, unknown][] => [
  ["description of 513", { ...base, description: "x".repeat(513) }],
  ["description with a NUL", { ...base, description: NUL }],
  ["description with a lone surrogate", { ...base, description: "a\ud800" }],
  ["description as number", { ...base, description: 1 }],
  ["description as null", { ...base, description: null }],
];
const unique = (kind: string) => `${kind}.${randomBytes(6).toString("hex")}`;

/**
 * permissions.* (src/rbac/): the delete rows name entities made for the control alone
 * (beforeAll), one per version, so the control's deletes succeed and nothing else depends on them.
 */
function rbacPostRoutes(): PostRoute[] {
  const list = (path: string): PostRoute => ({
    path,
    valid: () => ({ limit: 10, search: "re" }),
    extra: () => [
      ["limit 0", { limit: 0 }],
      ["limit 101", { limit: 101 }],
      ["cursor of 1025", { cursor: "x".repeat(1025) }],
      ["search of 257", { search: "x".repeat(257) }],
      ["search with a lone surrogate", { search: "\udfff" }],
    ],
  });
  return [
    {
      path: "/v1/permissions.createPermission",
      valid: () => ({ name: unique("p"), description: "d" }),
      opaque: ["description"],
      extra: () => [["name of 513", { name: "x".repeat(513) }], ["slug empty", { name: "n", slug: "" }], ...descriptionRefusals({ name: unique("p") })],
    },
    { path: "/v1/permissions.deletePermission", valid: () => ({ permissionId: "doomed.v1" }), extra: () => [["permissionId of 513", { permissionId: "x".repeat(513) }]] },
    {
      path: "/v1/permissions.createRole",
      valid: () => ({ name: unique("r"), description: "d" }),
      opaque: ["description"],
      extra: () => [["name of 513", { name: "x".repeat(513) }], ...descriptionRefusals({ name: unique("r") })],
    },
    { path: "/v1/permissions.deleteRole", valid: () => ({ roleId: "doomed-v1" }), extra: () => [["roleId of 513", { roleId: "x".repeat(513) }]] },
    {
      path: "/v2/permissions.createPermission",
      valid: () => ({ name: "n", slug: unique("p"), description: "d" }),
      opaque: ["description"],
      extra: () => [
        ["slug missing", { name: "n" }],
        ["slug of 513", { name: "n", slug: "x".repeat(513) }],
        ["slugs that PostgreSQL would both store as U+FFFD", { name: "n", slug: "a\ud800" }],
        ...descriptionRefusals({ name: "n", slug: unique("p") }),
      ],
    },
    { path: "/v2/permissions.getPermission", valid: () => ({ permission: "read" }), extra: () => [["permission of 513", { permission: "x".repeat(513) }]] },
    list("/v2/permissions.listPermissions"),
    { path: "/v2/permissions.deletePermission", valid: () => ({ permission: "doomed.v2" }), extra: () => [["permission of 513", { permission: "x".repeat(513) }]] },
    {
      path: "/v2/permissions.createRole",
      valid: () => ({ name: unique("r"), description: "d", permissions: ["read"] }),
      opaque: ["description"],
      extra: () => [
        ["1001 permissions", { name: unique("r"), permissions: Array.from({ length: 1001 }, (_, i) => `n${i}`) }],
        ["an empty permission", { name: unique("r"), permissions: ["read", ""] }],
        ["a permission with a NUL", { name: unique("r"), permissions: [NUL] }],
        ...descriptionRefusals({ name: unique("r") }),
      ],
    },
    { path: "/v2/permissions.getRole", valid: () => ({ role: "editor" }), extra: () => [["role of 513", { role: "x".repeat(513) }]] },
    list("/v2/permissions.listRoles"),
    { path: "/v2/permissions.deleteRole", valid: () => ({ role: "doomed-v2" }), extra: () => [["role of 513", { role: "x".repeat(513) }]] },
    {
      path: "/v2/permissions.setRolePermissions",
      valid: () => ({ roleId: "editor", permissions: ["read"] }),
      extra: () => [
        ["permissions missing", { roleId: "editor" }],
        ["1001 permissions", { roleId: "editor", permissions: Array.from({ length: 1001 }, (_, i) => `n${i}`) }],
        ["a 513-char permission", { roleId: "editor", permissions: ["x".repeat(513)] }],
        ["names that PostgreSQL would both store as U+FFFD", { roleId: "editor", permissions: ["\ud800", "\udfff"] }],
      ],
    },
  ];
}

interface GetRoute {
  path: string;
  valid: (f: Fixture) => Record<string, string>;
  bad: (f: Fixture) => [label: string, query: Record<string, string>][];
}

const v1ListQueryRefusals = (): [string, Record<string, string>][] => [
  ["limit=0", { limit: "0" }],
  ["limit=1001", { limit: "1001" }],
  ["limit=abc", { limit: "abc" }],
  ["limit=1.5", { limit: "1.5" }],
  ["cursor of 10 000", { cursor: LONG }],
  ["cursor with NUL", { cursor: NUL }],
];

const getRoutes: GetRoute[] = [
  { path: "/v1/permissions.listPermissions", valid: () => ({ limit: "10" }), bad: v1ListQueryRefusals },
  { path: "/v1/permissions.listRoles", valid: () => ({ limit: "10" }), bad: v1ListQueryRefusals },
  {
    path: "/v1/permissions.getPermission",
    valid: () => ({ permissionId: "read" }),
    bad: () => [
      ["permissionId missing", {}],
      ["permissionId empty", { permissionId: "" }],
      ["permissionId of 10 000", { permissionId: LONG }],
      ["permissionId with NUL", { permissionId: NUL }],
    ],
  },
  {
    path: "/v1/permissions.getRole",
    valid: () => ({ roleId: "editor" }),
    bad: () => [
      ["roleId missing", {}],
      ["roleId empty", { roleId: "" }],
      ["roleId of 10 000", { roleId: LONG }],
      ["roleId with NUL", { roleId: NUL }],
    ],
  },
  {
    path: "/v1/identities.getIdentity",
    valid: (f) => ({ identityId: f.identityId }),
    bad: () => [
      ["neither identityId nor externalId", {}],
      ["identityId empty", { identityId: "" }],
      ["identityId of 10 000", { identityId: LONG }],
      ["identityId with NUL", { identityId: NUL }],
      ["externalId with NUL", { externalId: NUL }],
    ],
  },
  {
    path: "/v1/identities.listIdentities",
    valid: () => ({ limit: "10", environment: "default" }),
    bad: () => [
      ["limit=0", { limit: "0" }],
      ["limit=101", { limit: "101" }],
      ["limit=abc", { limit: "abc" }],
      ["cursor of 10 000", { cursor: LONG }],
      ["environment with NUL", { environment: NUL }],
    ],
  },
  {
    path: "/v1/rootKeys.listRootKeys",
    valid: () => ({ limit: "10" }),
    bad: () => [
      ["limit=0", { limit: "0" }],
      ["limit=101", { limit: "101" }],
      ["limit=abc", { limit: "abc" }],
      ["limit=1.5", { limit: "1.5" }],
      ["limit empty", { limit: "" }],
      ["cursor of 10 000", { cursor: LONG }],
      ["cursor with NUL", { cursor: NUL }],
    ],
  },
  {
    path: "/v1/apis.getApi",
    valid: (f) => ({ apiId: f.apiId }),
    bad: () => [
      ["apiId missing", {}],
      ["apiId empty", { apiId: "" }],
      ["apiId of 10 000", { apiId: LONG }],
      ["apiId with NUL", { apiId: NUL }],
    ],
  },
  {
    path: "/v1/apis.listKeys",
    valid: (f) => ({ apiId: f.apiId, limit: "10", decrypt: "false" }),
    bad: (f) => [
      ["limit=0", { apiId: f.apiId, limit: "0" }],
      ["limit=101", { apiId: f.apiId, limit: "101" }],
      ["limit=abc", { apiId: f.apiId, limit: "abc" }],
      ["limit=-1", { apiId: f.apiId, limit: "-1" }],
      ["limit=1.5", { apiId: f.apiId, limit: "1.5" }],
      ["limit=1e3", { apiId: f.apiId, limit: "1e3" }],
      ["limit=Infinity", { apiId: f.apiId, limit: "Infinity" }],
      ["limit empty", { apiId: f.apiId, limit: "" }],
      ["limit=9007199254740993", { apiId: f.apiId, limit: "9007199254740993" }],
      ["decrypt=yes", { apiId: f.apiId, decrypt: "yes" }],
      ["decrypt=1", { apiId: f.apiId, decrypt: "1" }],
      ["decrypt=TRUE", { apiId: f.apiId, decrypt: "TRUE" }],
      ["decrypt empty", { apiId: f.apiId, decrypt: "" }],
      ["revalidateKeysCache=maybe", { apiId: f.apiId, revalidateKeysCache: "maybe" }],
      ["cursor of 10 000", { apiId: f.apiId, cursor: LONG }],
      ["ownerId of 10 000", { apiId: f.apiId, ownerId: LONG }],
      ["externalId empty", { apiId: f.apiId, externalId: "" }],
      ["cursor with NUL", { apiId: f.apiId, cursor: NUL }],
      ["ownerId with NUL", { apiId: f.apiId, ownerId: NUL }],
      ["externalId with NUL", { apiId: f.apiId, externalId: NUL }],
      ["apiId with NUL", { apiId: NUL }],
      ["apiId missing", {}],
      ["apiId of 10 000", { apiId: LONG }],
    ],
  },
  {
    path: "/v1/keys.getKey",
    valid: (f) => ({ keyId: f.keyId, decrypt: "false" }),
    bad: (f) => [
      ["keyId missing", {}],
      ["keyId empty", { keyId: "" }],
      ["keyId of 10 000", { keyId: LONG }],
      ["keyId with NUL", { keyId: NUL }],
      ["decrypt=yes", { keyId: f.keyId, decrypt: "yes" }],
      ["decrypt=on", { keyId: f.keyId, decrypt: "on" }],
    ],
  },
  {
    path: "/v1/analytics.getVerifications",
    valid: (f) => ({ apiId: f.apiId, groupBy: "key,day", orderBy: "total", order: "desc", limit: "10" }),
    bad: (f) => [
      ["apiId missing", {}],
      ["apiId with NUL", { apiId: NUL }],
      ["apiId of 10 000", { apiId: LONG }],
      ["start=abc", { apiId: f.apiId, start: "abc" }],
      ["start=-1", { apiId: f.apiId, start: "-1" }],
      ["end=1.5", { apiId: f.apiId, end: "1.5" }],
      ["end beyond a Date", { apiId: f.apiId, end: "9007199254740993" }],
      ["start after end", { apiId: f.apiId, start: "2000", end: "1000" }],
      ["limit=0", { apiId: f.apiId, limit: "0" }],
      ["limit=10001", { apiId: f.apiId, limit: "10001" }],
      ["groupBy=week", { apiId: f.apiId, groupBy: "week" }],
      ["groupBy tag and tags", { apiId: f.apiId, groupBy: "tag,tags" }],
      ["orderBy=name", { apiId: f.apiId, orderBy: "name" }],
      ["order=up", { apiId: f.apiId, order: "up" }],
      ["keyId empty", { apiId: f.apiId, keyId: "" }],
      ["keyId with NUL", { apiId: f.apiId, keyId: NUL }],
      ["101 keyIds", { apiId: f.apiId, keyId: Array.from({ length: 101 }, (_, i) => `key_${i}`).join(",") }],
      ["tag with NUL", { apiId: f.apiId, tag: NUL }],
      ["tag of 513", { apiId: f.apiId, tag: "x".repeat(513) }],
      ["externalId empty", { apiId: f.apiId, externalId: "" }],
    ],
  },
  {
    path: "/v1/keys.getVerifications",
    valid: (f) => ({ keyId: f.keyId, granularity: "day" }),
    bad: (f) => [
      ["neither keyId nor ownerId", {}],
      ["keyId empty", { keyId: "" }],
      ["keyId with NUL", { keyId: NUL }],
      ["ownerId with NUL", { ownerId: NUL }],
      ["start=abc", { keyId: f.keyId, start: "abc" }],
      ["end=-1", { keyId: f.keyId, end: "-1" }],
      ["start after end", { keyId: f.keyId, start: "2000", end: "1000" }],
      ["granularity=hour", { keyId: f.keyId, granularity: "hour" }],
    ],
  },
  {
    path: "/v1/ratelimits.getOverride",
    valid: () => ({ namespaceName: NS, identifier: "keep" }),
    bad: () => [
      ["no namespace", { identifier: "keep" }],
      ["identifier missing", { namespaceName: NS }],
      ["identifier empty", { namespaceName: NS, identifier: "" }],
      ["identifier of 10 000", { namespaceName: NS, identifier: LONG }],
      ["identifier with NUL", { namespaceName: NS, identifier: NUL }],
      ["namespaceName with NUL", { namespaceName: NUL, identifier: "keep" }],
      ["namespaceId of 10 000", { namespaceId: LONG, identifier: "keep" }],
    ],
  },
  {
    path: "/v1/ratelimits.listOverrides",
    valid: () => ({ namespaceName: NS, limit: "10" }),
    bad: () => [
      ["no namespace", { limit: "10" }],
      ["limit=0", { namespaceName: NS, limit: "0" }],
      ["limit=101", { namespaceName: NS, limit: "101" }],
      ["limit=abc", { namespaceName: NS, limit: "abc" }],
      ["limit=1.5", { namespaceName: NS, limit: "1.5" }],
      ["cursor of 10 000", { namespaceName: NS, cursor: LONG }],
      ["namespaceName empty", { namespaceName: "" }],
      ["namespaceName of 513", { namespaceName: "x".repeat(513) }],
    ],
  },
  {
    path: "/v1/users.getUser",
    valid: (f) => ({ userId: f.userId }),
    bad: () => [
      ["userId missing", {}],
      ["userId empty", { userId: "" }],
      ["userId of 10 000", { userId: LONG }],
      ["userId with NUL", { userId: NUL }],
    ],
  },
  { path: "/v1/users.listUsers", valid: () => ({ limit: "10" }), bad: v1ListQueryRefusals },
  {
    path: "/v1/audit.listLogs",
    valid: (f) => ({ limit: "10", since: "1", until: String(FUTURE), userId: f.userId, event: "CREATE_USER" }),
    bad: () => [
      ...v1ListQueryRefusals(),
      ["since=-1", { since: "-1" }],
      ["since=abc", { since: "abc" }],
      ["until=1.5", { until: "1.5" }],
      ["cursor=abc", { cursor: "abc" }],
      ["event with NUL", { event: NUL }],
      ["keyId of 10 000", { keyId: LONG }],
    ],
  },
  byIdQuery("/v1/activities.getActivity", "activityId", (f) => f.held.activityId),
  {
    path: "/v1/activities.listActivities",
    valid: () => ({ status: "CONSENSUS_NEEDED", type: "CREATE_API", limit: "10", cursor: "act_0" }),
    bad: () => [
      ...v1ListQueryRefusals(),
      ["status=WAITING", { status: "WAITING" }],
      ["status empty", { status: "" }],
      ["type=NO_SUCH_ACTIVITY", { type: "NO_SUCH_ACTIVITY" }],
      ["type with NUL", { type: NUL }],
    ],
  },
  byIdQuery("/v1/policies.getPolicy", "policyId", (f) => f.policyId),
  { path: "/v1/policies.listPolicies", valid: () => ({ limit: "10", cursor: "pol_0" }), bad: v1ListQueryRefusals },
  byIdQuery("/v1/escrow.getKey", "escrowKeyId", (f) => f.escrowKeyId),
  { path: "/v1/escrow.listKeys", valid: () => ({ limit: "10", cursor: "esc_0" }), bad: v1ListQueryRefusals },
  byIdQuery("/v1/portal.getPortal", "portalId", (f) => f.portal.portalId),
  { path: "/v1/portal.listPortals", valid: () => ({ limit: "10", cursor: "ptl_0" }), bad: v1ListQueryRefusals },
];

/** A v1 read of one thing by its id. */
function byIdQuery(path: string, field: string, id: (f: Fixture) => string): GetRoute {
  return {
    path,
    valid: (f) => ({ [field]: id(f) }),
    bad: () => [
      [`${field} missing`, {}],
      [`${field} empty`, { [field]: "" }],
      [`${field} of 10 000`, { [field]: LONG }],
      [`${field} with NUL`, { [field]: NUL }],
    ],
  };
}

/** The standalone rate-limit namespace the ratelimit rows use (made in beforeAll). */
const NS = "bad-input-ns";

/** What a limit check refuses, on top of `base` (a valid check). */
const limitRefusals = (base: Record<string, unknown>): [label: string, body: unknown][] => [
  ["limit 0", { ...base, limit: 0 }],
  ["limit 2^31", { ...base, limit: 2 ** 31 }],
  ["duration 999", { ...base, duration: 999 }],
  ["duration over 30 days", { ...base, duration: 2_592_000_001 }],
  ["cost -1", { ...base, cost: -1 }],
  ["cost 2^31", { ...base, cost: 2 ** 31 }],
  ["identifier of 513", { ...base, identifier: "x".repeat(513) }],
  ["namespace of 513", { ...base, namespace: "x".repeat(513) }],
  ["identifier missing", { ...base, identifier: undefined }],
];

/** What setOverride refuses (v1 and v2), on top of the namespace fields. */
const overrideRefusals = (ns: Record<string, unknown>): [label: string, body: unknown][] => [
  ["limit -1", { ...ns, identifier: "vip", limit: -1, duration: 60_000 }],
  ["limit 2^31", { ...ns, identifier: "vip", limit: 2 ** 31, duration: 60_000 }],
  ["duration 999", { ...ns, identifier: "vip", limit: 5, duration: 999 }],
  ["duration missing", { ...ns, identifier: "vip", limit: 5 }],
  ["identifier of 513", { ...ns, identifier: "x".repeat(513), limit: 5, duration: 60_000 }],
  ["identifier with a lone surrogate", { ...ns, identifier: LONE, limit: 5, duration: 60_000 }],
];

/** Text PostgreSQL cannot store (U+0000): must be a 400, not a failed query. */
const NUL = "a\u0000b";
/** Not Unicode (a lone UTF-16 surrogate): jsonb refuses it, text turns it into U+FFFD. Must be a 400. */
const LONE = "a\ud800b";
/** meta as JSON text, so `__proto__` reaches the server as the own key a client's JSON holds. */
const protoMeta = (fields: Record<string, unknown>, meta: string) => new RawJson(`${JSON.stringify(fields).slice(0, -1)},"meta":${meta}}`);
/** A fresh SHA-256 digest in Unkey's migration encoding (standard base64): each import is of a new key. */
const sha256Base64 = () => randomBytes(32).toString("base64");
/** A v2 named rate limit. */
const rl = (name: string) => ({ name, limit: 1, duration: 60_000 });
/** A meta whose JSON is exactly `bytes` long. */
const metaOfBytes = (bytes: number) => ({ a: "x".repeat(bytes - '{"a":""}'.length) });

/** Values of the wrong JSON type for a field currently holding `value`. */
function wrongValues(value: unknown, nullable: boolean, anyString: boolean): unknown[] {
  const base = nullable ? [] : [null];
  if (typeof value === "string") return [...base, 123, true, [], {}, "", LONG, ...(anyString ? [] : [NUL, LONE, "\udfff"])];
  if (typeof value === "number") return [...base, String(value), true, [], {}, -1, 1.5, 2 ** 53];
  if (typeof value === "boolean") return [...base, String(value), 1, 0, [], {}];
  if (Array.isArray(value)) return [...base, "x", 1, true, {}, [1], [null]];
  return [...base, "x", 1, true, []];
}

/** Every body obtained by replacing one field (at any depth) of `valid` with a wrong value. */
function* fieldMutations(valid: unknown, route: PostRoute, path: string[] = []): Generator<[string, unknown]> {
  if (valid === null || typeof valid !== "object") return;
  const entries = Array.isArray(valid) ? valid.map((v, i) => [String(i), v] as const) : Object.entries(valid);
  for (const [key, value] of entries) {
    const at = [...path, key];
    const dotted = at.filter((p) => !/^\d+$/.test(p)).join(".");
    const replace = (replacement: unknown): unknown => {
      const copy = structuredClone(valid) as Record<string, unknown>;
      copy[key] = replacement;
      return copy;
    };
    // Array elements of string lists (roles, tags) are covered by the array's own wrong values;
    // opaque fields (meta, the permission query) accept many shapes and have hand-written cases.
    if ((!Array.isArray(valid) || typeof value === "object") && !route.opaque?.includes(dotted)) {
      for (const wrong of wrongValues(value, route.nullable?.includes(dotted) ?? false, route.anyString?.includes(dotted) ?? false)) {
        if (Array.isArray(valid) && wrong === null) continue;
        yield [`${at.join(".")} = ${JSON.stringify(wrong).slice(0, 20)}`, replace(wrong)];
      }
    }
    if (route.opaque?.includes(dotted)) continue;
    for (const [label, inner] of fieldMutations(value, route, at)) yield [label, replace(inner)];
  }
}

// The vault is there for the control: escrow keys and exports are made in it (the bad input is refused before it is asked).
forEachDatabase("bad input", (h) => {
  let ws: Workspace;
  let f: Fixture;

  beforeAll(async () => {
    ws = await h().workspace();
    const apiId = await h().createApi(ws, "bad-input");
    const externalId = "bad-input-owner";
    const { keyId, key } = await h().createKey(ws, apiId, { prefix: "sk", remaining: 10, ratelimit: { limit: 10, duration: 60_000 }, permissions: ["read"], ownerId: externalId });
    const { keyId: rootKeyId } = await h().rootKey(ws, ["api.*.read_key"]);
    const identityId = (await h().post("/v2/identities.getIdentity", { identity: externalId }, ws.rootKey)).body.data.id;
    const userId = (await h().post("/v2/users.createUser", { name: "bad input" }, ws.rootKey)).body.data.userId;
    // Custody: HOLD_POLICY holds only the createApi of HELD_API below; INERT_POLICY never applies.
    const createPolicy = async (policy: Body) => {
      const res = await h().post("/v2/policies.createPolicy", policy, ws.rootKey);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.data.policyId as string;
    };
    await createPolicy(HOLD_POLICY);
    const hold = async (): Promise<Held> => {
      const res = await h().post("/v2/apis.createApi", { name: HELD_API }, ws.rootKey);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const { activityId } = res.body.data;
      return { activityId, digest: (await h().post("/v2/activities.getActivity", { activityId }, ws.rootKey)).body.data.digest };
    };
    const createEscrowKey = async () => {
      const res = await h().post("/v2/escrow.createKey", { name: "bad-input" }, ws.rootKey);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.data.escrowKeyId as string;
    };
    const doomed = async () => ({ policyId: await createPolicy(INERT_POLICY), escrowKeyId: await createEscrowKey(), held: await hold() });
    const recoverableApiId = await h().recoverableApi(ws);
    const { keyId: recoverableKeyId } = await h().createKey(ws, recoverableApiId, { recoverable: true, ownerId: externalId });
    const portal = async () => {
      const res = await h().post("/v2/portal.createPortal", { name: "bad input", apiIds: [apiId, recoverableApiId] }, ws.rootKey);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.data.portalId as string;
    };
    const portalId = await portal();
    const mint = async () => {
      const res = await h().post("/v2/portal.createSession", { portal: portalId, externalId, scopes: ["keys:read", "keys:create", "keys:reroll", "analytics:read", "keys:reveal"] }, ws.rootKey);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.data.code as string;
    };
    const token = (await h().post("/v2/portal.exchangeCode", { code: await mint() })).body.data.accessToken as string;
    // A reveal of the session's that waits for approvals: portal.getActivity's control reads it (waiting, so reading changes nothing).
    const { keyId: heldRevealKeyId } = await h().createKey(ws, recoverableApiId, { recoverable: true, ownerId: externalId });
    await createPolicy({ name: "held reveal", effect: "ALLOW", condition: `activity.type == 'DECRYPT_KEY' && key.id == '${heldRevealKeyId}'`, consensus: "approvers.count() >= 2" });
    const heldReveal = await h().post("/v2/portal.revealKey", { keyId: heldRevealKeyId }, token);
    expect(heldReveal.status, JSON.stringify(heldReveal.body)).toBe(202);
    // The control's code is exchanged last, long after a code's few minutes: it is made to last.
    const code = await mint();
    await h().db.update(portalSessions).set({ codeExpiresAt: Date.now() + 86_400_000 }).where(eq(portalSessions.codeHash, sha256Hex(code)));
    f = {
      apiId,
      keyId,
      key,
      rootKeyId,
      externalId,
      identityId,
      userId,
      policyId: await createPolicy(INERT_POLICY),
      escrowKeyId: await createEscrowKey(),
      recoverableKeyId,
      recoverableApiId,
      portal: { portalId, apiIds: [apiId, recoverableApiId], token, code, rerollKeyId: (await h().createKey(ws, apiId, { ownerId: externalId })).keyId, heldActivityId: heldReveal.body.data.activityId, doomed: { v1: await portal(), v2: await portal() } },
      held: await hold(),
      doomed: { v1: await doomed(), v2: await doomed() },
    };
    expect((await h().post("/v2/ratelimit.limit", { namespace: NS, identifier: "warm", limit: 1, duration: 60_000 }, ws.rootKey)).status).toBe(200);
    expect((await h().post("/v2/ratelimit.setOverride", { namespace: NS, identifier: "keep", limit: 1, duration: 60_000 }, ws.rootKey)).status).toBe(200);
    // The workspace's role for the rbac rows, and what the control's deletes delete.
    for (const slug of ["doomed.v1", "doomed.v2"]) expect((await h().post("/v2/permissions.createPermission", { name: "n", slug }, ws.rootKey)).status).toBe(200);
    for (const name of ["editor", "doomed-v1", "doomed-v2"]) expect((await h().post("/v2/permissions.createRole", { name }, ws.rootKey)).status).toBe(200);
  });

  /**
   * Sends `request` to `path`, checks the refusal in the envelope of the path's version, with
   * the status that version gives `code` (v2 answers a too-large body 400, v1 413), and that
   * the database is unchanged since `before`.
   */
  async function expectRefused(
    path: string,
    label: string,
    before: Record<string, unknown[]>,
    request: () => Promise<Response>,
    code: "BAD_REQUEST" | "PAYLOAD_TOO_LARGE",
  ): Promise<void> {
    const res = await request();
    expectErrorEnvelope(res, code, label);
    const what = `${label} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
    const version = envelopeVersion(res.body);
    expect(version, what).toBe(path.startsWith("/v2/") ? "v2" : "v1");
    expect(res.status, what).toBe(version === "v2" ? v2ErrorStatus(code) : errorStatus[code]);
    expect(await h().snapshot(), `${label}: the database changed`).toEqual(before);
  }

  const json = (path: string, body: unknown) => () =>
    h().call("POST", path, {
      rawBody: body instanceof RawJson ? body.text : JSON.stringify(body),
      token: ws.rootKey,
      headers: { "Content-Type": "application/json" },
    });
  const raw = (path: string, rawBody: string | undefined, headers: Record<string, string>) => () =>
    h().call("POST", path, { rawBody, token: ws.rootKey, headers });

  describe.each(postRoutes.map((r) => [r.path, r] as const))("POST %s", (_, route) => {
    test("unreadable bodies", async () => {
      const before = await h().snapshot();
      const valid = JSON.stringify(route.valid(f));
      const cases: [string, string | undefined, Record<string, string>][] = [
        ["truncated JSON", valid.slice(0, -1), { "Content-Type": "application/json" }],
        ["trailing comma", valid.replace(/[}\]]$/, ",$&"), { "Content-Type": "application/json" }],
        ["single quotes", valid.replaceAll('"', "'"), { "Content-Type": "application/json" }],
        ["two documents", valid + valid, { "Content-Type": "application/json" }],
        ["NUL bytes", "\u0000\u0000", { "Content-Type": "application/json" }],
        ["bare word", "undefined", { "Content-Type": "application/json" }],
        ["empty body", "", { "Content-Type": "application/json" }],
        ["missing body", undefined, {}],
        ["JSON as text/plain", valid, { "Content-Type": "text/plain" }],
        ["JSON without Content-Type", valid, {}],
        ["form encoding", "name=x&apiId=y", { "Content-Type": "application/x-www-form-urlencoded" }],
        ["multipart", '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n', { "Content-Type": "multipart/form-data; boundary=b" }],
        ["XML", "<name>x</name>", { "Content-Type": "application/xml" }],
        ["null", "null", { "Content-Type": "application/json" }],
        ["array", `[${valid}]`, { "Content-Type": "application/json" }],
        ["number", "1e400", { "Content-Type": "application/json" }],
        ["string", JSON.stringify(valid), { "Content-Type": "application/json" }],
        ["true", "true", { "Content-Type": "application/json" }],
        ["empty object", "{}", { "Content-Type": "application/json" }],
        ["10 000-deep array", "[".repeat(10_000) + "]".repeat(10_000), { "Content-Type": "application/json" }],
      ];
      for (const [label, body, headers] of cases) {
        if (label === "single quotes" && !valid.includes('"')) continue; // getRootQuorum's `{}`: nothing to quote
        if (label === "empty object" && route.path === "/v1/apis.updateApi") continue; // covered: no apiId
        if (label === "empty object" && route.path === "/v2/identities.listIdentities") continue; // every field optional: `{}` lists the first page
        if (label === "empty object" && (route.path === "/v2/users.listUsers" || route.path === "/v2/audit.listLogs")) continue;
        if (label === "empty object" && /^\/v2\/(activities\.listActivities|policies\.listPolicies|escrow\.listKeys|workspaces\.getRootQuorum)$/.test(route.path)) continue;
        if (label === "empty object" && route.path.endsWith(".listPermissions")) continue; // every field optional: {} lists
        if (label === "empty object" && route.path.endsWith(".listRoles")) continue;
        if (label === "empty object" && /^\/v2\/portal\.(listPortals|listKeys)$/.test(route.path)) continue; // every field optional
        // Every parameter is optional there: no body reads every API the root key may (tested in test/api/analytics.test.ts).
        if ((label === "empty object" || label === "missing body") && route.path === "/v2/analytics.getVerifications") continue;
        await expectRefused(route.path, `${route.path} ${label}`, before, raw(route.path, body, headers), "BAD_REQUEST");
      }
    });

    test("wrong types, empty and over-long values in every field", async () => {
      const before = await h().snapshot();
      let n = 0;
      for (const [label, body] of fieldMutations(route.valid(f), route)) {
        await expectRefused(route.path, `${route.path} ${label}`, before, json(route.path, body), "BAD_REQUEST");
        n++;
      }
      if (route.noFields) expect(n).toBe(0);
      else expect(n).toBeGreaterThan(0);
    });

    test("out-of-range numbers, unknown enum values and other refusals", async () => {
      const before = await h().snapshot();
      for (const [label, body] of route.extra(f)) {
        await expectRefused(route.path, `${route.path} ${label}`, before, json(route.path, body), "BAD_REQUEST");
      }
    });

    test("a body over 1 MiB is refused before it is read (v1: 413, v2: 400)", async () => {
      const before = await h().snapshot();
      const valid = route.valid(f);
      const padding = "x".repeat(MAX_BODY_BYTES);
      // An array body (migrations.createKeys) is padded with one more element, an object with one more field.
      const body = JSON.stringify(Array.isArray(valid) ? [...valid, { padding }] : { ...valid, padding });
      await expectRefused(route.path, `${route.path} 1 MiB`, before, raw(route.path, body, { "Content-Type": "application/json" }), "PAYLOAD_TOO_LARGE");
      await expectRefused(route.path, `${route.path} 1 MiB no type`, before, raw(route.path, body, {}), "PAYLOAD_TOO_LARGE");
      await expectRefused(
        route.path,
        `${route.path} 1 MiB declared`,
        before,
        raw(route.path, body, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)) }),
        "PAYLOAD_TOO_LARGE",
      );
    });
  });

  test("a 10 000-level verifyKey permission query is a 400, not a stack overflow", async () => {
    const before = await h().snapshot();
    for (const depth of [9, 100, 10_000]) {
      const body = `{"key":${JSON.stringify(f.key)},"authorization":{"permissions":${nest(depth, "read")}}}`;
      await expectRefused("/v1/keys.verifyKey", `depth ${depth}`, before, raw("/v1/keys.verifyKey", body, { "Content-Type": "application/json" }), "BAD_REQUEST");
    }
    // The control: 7 levels are fine.
    const ok = await h().call("POST", "/v1/keys.verifyKey", {
      rawBody: `{"key":${JSON.stringify(f.key)},"authorization":{"permissions":${nest(7, "read")}}}`,
      headers: { "Content-Type": "application/json" },
    });
    expect(ok.body).toMatchObject({ valid: true, code: "VALID" });
  });

  test("verifyKey: any text as the key is a verdict, never a failure", async () => {
    const before = await h().snapshot();
    for (const key of [NUL, "\u0000", "kh_root_\u0000", "é", "\ud800", " ", "%00", "' or 1=1 --", "sk_" + "1".repeat(300)]) {
      const res = await h().verify(key);
      expect(res.status, JSON.stringify(key)).toBe(200);
      expect(res.body, JSON.stringify(key)).toEqual({ valid: false, code: "NOT_FOUND", requestId: res.headers.get("X-Request-Id") });
    }
    expect(await h().snapshot()).toEqual(before);
  });

  test("v2 verifyKey and whoami: any text as the key is a verdict or a NOT_FOUND, never a failure", async () => {
    const before = await h().snapshot();
    for (const key of [NUL, "\u0000", "kh_root_\u0000", "é", "\ud800", " ", "%00", "' or 1=1 --", "sk_" + "1".repeat(300)]) {
      const verified = await h().post("/v2/keys.verifyKey", { key }, ws.rootKey);
      expect(verified.status, JSON.stringify(key)).toBe(200);
      expect(verified.body.data, JSON.stringify(key)).toEqual({ valid: false, code: "NOT_FOUND" });
      expectErrorEnvelope(await h().post("/v2/keys.whoami", { key }, ws.rootKey), "NOT_FOUND", JSON.stringify(key));
    }
    expect(await h().snapshot()).toEqual(before);
  });

  test("the largest accepted numbers are answered, never with a 5xx", async () => {
    const MAX = 2 ** 31 - 1;
    const { key, keyId } = await h().createKey(ws, f.apiId, { remaining: MAX, ratelimit: { limit: MAX, duration: MAX } });
    const big = [{ name: "big", limit: MAX, duration: MAX, cost: MAX }];
    expect((await h().verify(key, { ratelimits: big })).body).toMatchObject({ valid: true, code: "VALID" });
    // The window's count is at 2^31-1: one more must be refused, not overflow the counter.
    expect((await h().verify(key, { ratelimits: big })).body).toMatchObject({ valid: false, code: "RATE_LIMITED" });
    expect((await h().verify(key, { ratelimit: { cost: MAX } })).body).toMatchObject({ valid: false, code: "RATE_LIMITED" });
    expect((await h().verify(key, { remaining: { cost: MAX } })).body).toMatchObject({ valid: false, code: "USAGE_EXCEEDED" });
    const incremented = await h().post("/v1/keys.updateRemaining", { keyId, op: "increment", value: MAX }, ws.rootKey);
    expect(incremented.body).toEqual({ remaining: MAX });
    const { key: refilled } = await h().createKey(ws, f.apiId, { remaining: 0, refill: { interval: "monthly", amount: MAX, refillDay: 31 } });
    expect((await h().verify(refilled, { remaining: { cost: 0 } })).status).toBe(200);
    const far = await h().createKey(ws, f.apiId, { expires: 8_640_000_000_000_000 });
    expect((await h().verify(far.key)).body).toMatchObject({ valid: true, expires: 8_640_000_000_000_000 });
  });

  describe.each(getRoutes.map((r) => [r.path, r] as const))("GET %s", (_, route) => {
    test("bad query values", async () => {
      const before = await h().snapshot();
      for (const [label, query] of route.bad(f)) {
        await expectRefused(route.path, `${route.path} ${label}`, before, () => h().get(route.path, query, ws.rootKey), "BAD_REQUEST");
      }
    });
  });

  test("unknown routes and methods answer 404 in the envelope", async () => {
    const before = await h().snapshot();
    const cases: [string, string][] = [
      ["GET", "/"],
      ["GET", "/v1"],
      ["GET", "/v1/keys.nope"],
      ["POST", "/v1/keys.nope"],
      ["POST", "/v2/keys.nope"],
      ["GET", "/v2/keys.createKey"],
      ["GET", "/v1/keys.createKey"],
      ["POST", "/v1/keys.getKey"],
      ["PUT", "/v1/keys.createKey"],
      ["DELETE", "/v1/keys.deleteKey"],
      ["PATCH", "/v1/keys.updateKey"],
      ["POST", "/v1/keys.createKey/"],
      ["GET", "/v1/apis.getApi/../../etc/passwd"],
      ["GET", "/V1/APIS.GETAPI"],
      ["GET", `/v1/${"x".repeat(5000)}`],
    ];
    for (const [method, path] of cases) {
      const res = await h().app.request(path, {
        method,
        headers: { Authorization: `Bearer ${ws.rootKey}`, "Content-Type": "application/json" },
        body: method === "GET" ? undefined : JSON.stringify({ apiId: f.apiId, keyId: f.keyId, name: "x" }),
      });
      const text = await res.text();
      const response: Response = { status: res.status, body: JSON.parse(text), headers: res.headers };
      expectErrorEnvelope(response, "NOT_FOUND", `${method} ${path}`);
    }
    expect(await h().snapshot()).toEqual(before);
  });

  test("control: the valid bodies and queries are accepted", async () => {
    for (const route of postRoutes) {
      const apiId = await h().createApi(ws, "control");
      const externalId = freshExternalId();
      const { keyId, key } = await h().createKey(ws, apiId, { remaining: 10, permissions: ["read"], ownerId: externalId });
      const { keyId: rootKeyId } = await h().rootKey(ws, ["api.*.read_key"]);
      const identityId = (await h().post("/v2/identities.getIdentity", { identity: externalId }, ws.rootKey)).body.data.id;
      const userId = (await h().post("/v2/users.createUser", { name: "control" }, ws.rootKey)).body.data.userId;
      const res = await h().post(route.path, route.valid({ ...f, apiId, keyId, key, rootKeyId, externalId, identityId, userId }), route.token?.(f) ?? ws.rootKey);
      expect(res.status, `${route.path}: ${JSON.stringify(res.body)}`).toBe(200);
      expectNoStackTrace(res);
      if (route.path === "/v1/keys.verifyKey") expect(res.body).toMatchObject({ valid: true });
      if (route.path === "/v2/keys.verifyKey") expect(res.body.data).toMatchObject({ valid: true, code: "VALID" });
    }
    for (const route of getRoutes) {
      const res = await h().get(route.path, route.valid(f), ws.rootKey);
      expect(res.status, `${route.path}: ${JSON.stringify(res.body)}`).toBe(200);
    }
  });

  test("every POST and GET route of the OpenAPI document is exercised here", async () => {
    const doc = await h().call("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    const posts = Object.entries(doc.body.paths as Record<string, object>).filter(([, ops]) => "post" in ops).map(([p]) => p);
    expect(postRoutes.map((r) => r.path).sort()).toEqual(posts.sort());
    const gets = Object.entries(doc.body.paths as Record<string, { get?: { parameters?: unknown[] } }>)
      .filter(([, ops]) => (ops.get?.parameters?.length ?? 0) > 0)
      .map(([p]) => p);
    expect(getRoutes.map((r) => r.path).sort()).toEqual(gets.sort());
  });
}, { vault: true });
