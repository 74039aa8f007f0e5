import { z } from "@hono/zod-openapi";
import { MAX_RATELIMITS_PER_KEY } from "../../keys/key-ratelimits.ts";
import type { KeySettings } from "../../keys/key-settings.ts";
import { INT32_MAX, credits, keyFields, meta, names, refill, text, timestamp } from "../routes/schemas.ts";

/**
 * v2's key fields (createKey, updateKey), bounded by the same field schemas as v1's, and
 * their translation to the service's settings: v2 spells the owner `externalId`, credits
 * as `{remaining, refill}`, and rate limits as the key's whole named list.
 */

/** Unkey's RatelimitRequest; `autoApply` is false unless asked for, as in Unkey. Identities' limits too. */
export const ratelimitRequest = z
  .object({
    name: text(),
    limit: z.number().int().min(1).max(INT32_MAX),
    duration: z.number().int().min(1000).max(INT32_MAX).openapi({ description: "Window length in ms." }),
    autoApply: z.boolean().default(false),
  })
  .openapi("V2RatelimitRequest");

const ratelimits = z.array(ratelimitRequest).max(MAX_RATELIMITS_PER_KEY);

const keyCredits = z
  .object({
    remaining: credits.nullable().openapi({ description: "null: unlimited." }),
    refill: refill.optional(),
  })
  .openapi("V2KeyCreditsRequest");

const updateCredits = z
  .object({
    remaining: credits.nullable().optional().openapi({ description: "null: unlimited, which also ends a refill (unless one is given)." }),
    refill: refill.nullable().optional(),
  })
  .openapi("V2UpdateKeyCreditsRequest");

export const createKeyFields = {
  name: keyFields.name.optional(),
  externalId: keyFields.externalId.optional(),
  meta: meta.optional(),
  expires: timestamp.optional().openapi({ description: "Unix ms after which the key answers EXPIRED." }),
  credits: keyCredits.optional(),
  ratelimits: ratelimits.optional(),
  enabled: z.boolean().optional(),
  roles: names.optional(),
  permissions: names.optional(),
};

/** Present fields change; an explicit null clears. */
export const updateKeyFields = {
  name: keyFields.name.nullable().optional(),
  externalId: keyFields.externalId.nullable().optional(),
  meta: meta.nullable().optional(),
  expires: timestamp.nullable().optional(),
  credits: updateCredits.nullable().optional(),
  ratelimits: ratelimits.nullable().optional().openapi({ description: "Replaces the key's whole list; null or [] removes every limit." }),
  enabled: z.boolean().optional(),
  roles: names.optional().openapi({ description: "Replaces the key's roles." }),
  permissions: names.optional().openapi({ description: "Replaces the key's permissions." }),
};

type Fields = z.infer<z.ZodObject<typeof updateKeyFields>>;

export function toKeySettings(body: Fields): KeySettings {
  return {
    name: body.name,
    ownerId: body.externalId,
    meta: body.meta,
    expires: body.expires,
    ...creditSettings(body.credits),
    ratelimits: body.ratelimits,
    enabled: body.enabled,
    roles: body.roles,
    permissions: body.permissions,
  };
}

/** `credits: null`, or `remaining: null`, is unlimited: a refill has nothing left to refill, so it goes too. */
function creditSettings(c: Fields["credits"]): Pick<KeySettings, "remaining" | "refill"> {
  if (c === undefined) return {};
  if (c === null) return { remaining: null, refill: null };
  return { remaining: c.remaining, refill: c.refill !== undefined ? c.refill : c.remaining === null ? null : undefined };
}
