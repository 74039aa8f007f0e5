import { z } from "@hono/zod-openapi";
import { derivedId } from "../../ids.ts";
import type { KeyRatelimit } from "../../keys/key-ratelimits.ts";
import type { KeyView } from "../../keys/key-view.ts";
import type { RemainingResult } from "../../keys/update-key.ts";

/**
 * The one mapping from the service's key view to v2's shapes: KeyResponseData (getKey,
 * listKeys, whoami), KeyCreditsData (updateCredits) and the Permission and Role lists the
 * permission and role edits answer. Keyhold stores permission and role names, not entities:
 * their v2 ids are derived (see derivedId in src/ids.ts). Identities are entities (src/identities/).
 */

const refillData = z.object({
  interval: z.enum(["daily", "monthly"]),
  amount: z.number().int(),
  refillDay: z.number().int().optional(),
});

export const keyCreditsData = z
  .object({ remaining: z.number().int().nullable().openapi({ description: "null: unlimited." }), refill: refillData.optional() })
  .openapi("V2KeyCreditsData");

const ratelimitData = z
  .object({ id: z.string(), name: z.string(), limit: z.number().int(), duration: z.number().int(), autoApply: z.boolean() })
  .openapi("V2RatelimitResponse");

/** Unkey's Identity: getIdentity, listIdentities, updateIdentity, and the identity of a key (getKey, verifyKey). */
export const identityData = z
  .object({
    id: z.string().openapi({ example: "id_1Ghu6Y2kQ7xW3nZ8rT5vLp" }),
    externalId: z.string().openapi({ example: "user_123" }),
    meta: z.record(z.string(), z.unknown()).optional(),
    ratelimits: z.array(ratelimitData).optional().openapi({ description: "Shared by every key of the identity." }),
  })
  .openapi("V2Identity");

export function toRatelimitData(list: readonly KeyRatelimit[]): z.infer<typeof ratelimitData>[] {
  return list.map(({ id, name, limit, duration, autoApply }) => ({ id, name, limit, duration, autoApply }));
}

/**
 * Where Unkey shows an identity's limits: always on the identity routes, when there are any on
 * verifyKey (the ones the key does not shadow), never on a key's description (getKey, listKeys).
 */
export type IdentityLimitsShown = "always" | "whenAny" | "never";

export function toIdentityData(
  identity: { id: string; externalId: string; meta?: Record<string, unknown> | null; ratelimits: readonly KeyRatelimit[] },
  limits: IdentityLimitsShown = "always",
): z.infer<typeof identityData> {
  const shown = limits === "always" || (limits === "whenAny" && identity.ratelimits.length > 0);
  return {
    id: identity.id,
    externalId: identity.externalId,
    ...(identity.meta != null && { meta: identity.meta }),
    ...(shown && { ratelimits: toRatelimitData(identity.ratelimits) }),
  };
}

export const keyResponseData = z
  .object({
    keyId: z.string().openapi({ example: "key_1234" }),
    start: z.string(),
    enabled: z.boolean(),
    name: z.string().optional(),
    meta: z.record(z.string(), z.unknown()).optional(),
    createdAt: z.number().int(),
    updatedAt: z.number().int().optional(),
    lastUsedAt: z.number().int().optional().openapi({ description: "Last successful verify, to the minute (a key in constant use shows a time up to about a minute old)." }),
    expires: z.number().int().optional(),
    permissions: z.array(z.string()),
    roles: z.array(z.string()),
    credits: keyCreditsData.optional().openapi({ description: "Absent: unlimited." }),
    identity: identityData.optional().openapi({ description: "The identity the key belongs to (its `externalId`)." }),
    ratelimits: z.array(ratelimitData),
    plaintext: z.string().optional().openapi({ description: "Only with decrypt=true, only for recoverable keys." }),
  })
  .openapi("V2KeyResponseData");

export const permissionData = z
  .object({ id: z.string(), name: z.string(), slug: z.string(), description: z.string().optional() })
  .openapi("V2Permission", { description: "A permission of the workspace; keys and roles hold it by `slug`; `id` is derived from the workspace and slug." });

export const roleData = z
  .object({ id: z.string(), name: z.string() })
  .openapi("V2Role", { description: "A role the key holds; `id` is derived from the workspace and name." });

export type KeyResponseData = z.infer<typeof keyResponseData>;

export function toKeyResponseData(view: KeyView): KeyResponseData {
  return {
    keyId: view.id,
    start: view.start,
    enabled: view.enabled,
    ...(view.name !== undefined && { name: view.name }),
    ...(view.meta !== undefined && { meta: view.meta }),
    createdAt: view.createdAt,
    ...(view.updatedAt !== undefined && { updatedAt: view.updatedAt }),
    ...(view.lastUsedAt !== undefined && { lastUsedAt: view.lastUsedAt }),
    ...(view.expires !== undefined && { expires: view.expires }),
    permissions: view.permissions,
    roles: view.roles,
    // As Unkey: unlimited keys have no credits object.
    ...(view.remaining !== undefined && { credits: toKeyCreditsData({ remaining: view.remaining, refill: view.refill }) }),
    ...(view.identity && { identity: toIdentityData(view.identity, "never") }),
    ratelimits: toRatelimitData(view.ratelimits),
    ...(view.plaintext !== undefined && { plaintext: view.plaintext }),
  };
}

export function toKeyCreditsData(credits: RemainingResult): z.infer<typeof keyCreditsData> {
  const refill = credits.refill;
  return {
    remaining: credits.remaining,
    ...(refill && {
      refill: { interval: refill.interval, amount: refill.amount, ...(refill.interval === "monthly" && refill.refillDay !== undefined && { refillDay: refill.refillDay }) },
    }),
  };
}

export function toRoles(workspaceId: string, names: string[]): z.infer<typeof roleData>[] {
  return names.map((name) => ({ id: derivedId("role", workspaceId, name), name }));
}
