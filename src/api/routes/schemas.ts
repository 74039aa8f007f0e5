import { z } from "@hono/zod-openapi";
import { MAX_BYTE_LENGTH, MAX_PREFIX_LENGTH, MIN_BYTE_LENGTH, PREFIX_PATTERN } from "../../keys/key-format.ts";
import type { KeySettings } from "../../keys/key-settings.ts";
import { MAX_META_BYTES, MAX_META_DEPTH, metaProblem, unstorableText } from "../../keys/storable.ts";

/** Shared field schemas, so every route bounds the same input the same way. */

export const INT32_MAX = 2_147_483_647;
/** Year 275760: the largest time a JavaScript Date can hold. */
const MAX_TIME = 8_640_000_000_000_000;

/** Every stored string passes this: PostgreSQL must keep it exactly as sent (see unstorableText). */
function storable<T extends z.ZodType<string>>(schema: T) {
  return schema.superRefine((s, ctx) => {
    const why = unstorableText(s);
    if (why) ctx.addIssue({ code: "custom", message: why });
  });
}

export const id = (example: string) => storable(z.string().min(1).max(255)).openapi({ example });
export const text = (max = 255) => storable(z.string().min(1).max(max));
export const timestamp = z.number().int().positive().max(MAX_TIME);
export const credits = z.number().int().min(0).max(INT32_MAX);

/** What a verify spends: credits, or slots of a rate limit (0 spends none). */
export const verifyCost = z.number().int().min(0).max(INT32_MAX);

/** A rate limit a verify asks for (v1 and v2 alike): by a name the key has, or inline with `limit` and `duration`. */
export const requestedRatelimit = z.object({
  name: text(),
  cost: verifyCost.optional(),
  limit: z.number().int().min(1).max(INT32_MAX).optional(),
  duration: z.number().int().min(1000).max(INT32_MAX).optional(),
});

/**
 * Checked on the object as parsed: z.record would rebuild it and silently drop a top-level
 * `__proto__` before any refinement saw it. The problem's path names the offending key.
 */
export const meta = z
  .custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), { message: "must be a JSON object" })
  .superRefine((value, ctx) => {
    const problem = metaProblem(value);
    if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
  })
  .openapi({
    type: "object",
    additionalProperties: true,
    description: `Free-form JSON object: at most ${MAX_META_BYTES} bytes as JSON, ${MAX_META_DEPTH} levels deep, no \`__proto__\` key.`,
    example: { plan: "pro" },
  });
/** Permission or role names: what a key holds (v1 and v2 alike). */
export const names = z.array(text(512)).max(1000);
const nameRef = z
  .object({ id: text(512).optional(), name: text(512).optional(), create: z.boolean().optional() })
  .refine((r) => r.name !== undefined || r.id !== undefined, { message: "needs a name" });
const nameRefs = z.array(z.union([text(512), nameRef])).max(1000);

/** GET query booleans arrive as text; only the two spellings clients send are accepted. */
export const queryBoolean = z
  .enum(["true", "false"])
  .transform((v) => v === "true")
  .optional();

export const refill = z.object({
  interval: z.enum(["daily", "monthly"]),
  amount: z.number().int().min(1).max(INT32_MAX),
  refillDay: z.number().int().min(1).max(31).optional(),
});

/** Unkey's shape, including the deprecated `type`/`refillRate`/`refillInterval` spellings. */
export const ratelimit = z
  .object({
    limit: z.number().int().min(1).max(INT32_MAX),
    duration: z.number().int().min(1000).max(INT32_MAX).optional().openapi({ description: "Window length in ms." }),
    async: z.boolean().optional(),
    type: z.enum(["fast", "consistent"]).optional(),
    refillRate: z.number().int().min(1).max(INT32_MAX).optional(),
    refillInterval: z.number().int().min(1000).max(INT32_MAX).optional(),
  })
  .refine((r) => r.duration !== undefined || r.refillInterval !== undefined, { message: "duration is required" });

export const keyFields = {
  name: text(),
  ownerId: text(),
  externalId: text(),
  meta,
  expires: timestamp.openapi({ description: "Unix ms after which the key answers EXPIRED." }),
  remaining: credits.openapi({ description: "Credits; each verify spends `remaining.cost` (default 1)." }),
  refill,
  ratelimit,
  enabled: z.boolean(),
  environment: text(),
  roles: names,
  permissions: names,
};

export const createKeyFields = {
  apiId: id("api_1234"),
  prefix: z.string().max(MAX_PREFIX_LENGTH).regex(PREFIX_PATTERN).optional().openapi({ example: "sk_live" }),
  byteLength: z.number().int().min(MIN_BYTE_LENGTH).max(MAX_BYTE_LENGTH).optional(),
  recoverable: z.boolean().optional().openapi({ description: "Also store a vault ciphertext (needs encrypt_key and recovery on the API)." }),
  name: keyFields.name.optional(),
  ownerId: keyFields.ownerId.optional(),
  externalId: keyFields.externalId.optional(),
  meta: meta.optional(),
  expires: keyFields.expires.optional(),
  remaining: keyFields.remaining.optional(),
  refill: refill.optional(),
  ratelimit: ratelimit.optional(),
  enabled: z.boolean().optional(),
  environment: keyFields.environment.optional(),
  roles: names.optional(),
  permissions: names.optional(),
};

export const updateKeyFields = {
  keyId: id("key_1234"),
  name: keyFields.name.nullable().optional(),
  ownerId: keyFields.ownerId.nullable().optional(),
  externalId: keyFields.externalId.nullable().optional(),
  meta: meta.nullable().optional(),
  expires: timestamp.nullable().optional(),
  remaining: credits.nullable().optional(),
  refill: refill.nullable().optional(),
  ratelimit: ratelimit.nullable().optional(),
  enabled: z.boolean().optional(),
  environment: keyFields.environment.nullable().optional(),
  roles: nameRefs.optional(),
  permissions: nameRefs.optional(),
};

type RatelimitInput = z.infer<typeof ratelimit>;
type NameRefs = z.infer<typeof nameRefs>;

/** Wire fields to service settings: Unkey's aliases resolved, name references flattened. */
export function toKeySettings(body: {
  name?: string | null;
  ownerId?: string | null;
  externalId?: string | null;
  meta?: Record<string, unknown> | null;
  expires?: number | null;
  remaining?: number | null;
  refill?: KeySettings["refill"];
  ratelimit?: RatelimitInput | null;
  enabled?: boolean;
  environment?: string | null;
  roles?: NameRefs;
  permissions?: NameRefs;
}): KeySettings {
  const owner = body.externalId !== undefined ? body.externalId : body.ownerId;
  return {
    name: body.name,
    ownerId: owner,
    meta: body.meta,
    expires: body.expires,
    remaining: body.remaining,
    refill: body.refill,
    ratelimit: body.ratelimit && {
      limit: body.ratelimit.limit,
      duration: (body.ratelimit.duration ?? body.ratelimit.refillInterval)!,
      async: body.ratelimit.async ?? body.ratelimit.type === "fast",
    },
    enabled: body.enabled,
    environment: body.environment,
    roles: flattenNames(body.roles),
    permissions: flattenNames(body.permissions),
  };
}

function flattenNames(refs: NameRefs | undefined): string[] | undefined {
  return refs?.map((r) => (typeof r === "string" ? r : (r.name ?? r.id ?? "")));
}

export const keySchema = z
  .object({
    id: z.string().openapi({ example: "key_1234" }),
    start: z.string().openapi({ example: "sk_live_3ZbE" }),
    workspaceId: z.string(),
    apiId: z.string(),
    name: z.string().optional(),
    ownerId: z.string().optional(),
    meta: meta.optional(),
    createdAt: z.number(),
    updatedAt: z.number().optional(),
    expires: z.number().optional(),
    remaining: z.number().optional(),
    refill: z
      .object({
        interval: z.enum(["daily", "monthly"]),
        amount: z.number(),
        refillDay: z.number().optional(),
        lastRefillAt: z.number().optional(),
      })
      .optional(),
    ratelimit: z
      .object({
        async: z.boolean(),
        type: z.enum(["fast", "consistent"]),
        limit: z.number(),
        duration: z.number(),
        refillRate: z.number(),
        refillInterval: z.number(),
      })
      .optional(),
    roles: z.array(z.string()),
    permissions: z.array(z.string()),
    enabled: z.boolean(),
    environment: z.string().optional(),
    plaintext: z.string().optional().openapi({ description: "Only with decrypt=true, only for recoverable keys." }),
    identity: z
      .object({ id: z.string(), externalId: z.string(), meta: z.record(z.string(), z.unknown()).optional() })
      .optional()
      .openapi({ description: "The identity the key belongs to (`ownerId` is its externalId)." }),
  })
  .openapi("Key");

export const emptyObject = z.object({}).openapi("Empty");

/** The JSON body block of a route: always required, so a missing Content-Type is a 400, not `{}`. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { required: true, content: { "application/json": { schema } } } };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { 200: { description, content: { "application/json": { schema } } } };
}
