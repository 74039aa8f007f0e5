import { z } from "@hono/zod-openapi";
import type { KeySettings } from "../../keys/key-settings.ts";
import { MAX_RATELIMITS_PER_KEY, type RatelimitSetting } from "../../keys/key-ratelimits.ts";
import { INT32_MAX, credits as creditCount, refill } from "../routes/schemas.ts";

/**
 * v2's spellings of a key's limits (Unkey's KeyCreditsData and RatelimitRequest), with
 * Keyhold's bounds: credits are 32-bit counters here. They map onto the same KeySettings as
 * v1's `remaining`/`refill`/`ratelimit`, so a key set through either version reads the same.
 */
export const v2Credits = z
  .object({
    remaining: creditCount.nullable().openapi({ description: "Credits left; null: unlimited." }),
    refill: refill.optional(),
  })
  .openapi("V2KeyCredits");

export const v2Ratelimit = z
  .object({
    name: z.string().min(3).max(128).openapi({ example: "requests" }),
    limit: z.number().int().min(1).max(INT32_MAX),
    duration: z.number().int().min(1000).max(INT32_MAX).openapi({ description: "Window length in ms." }),
    // Unkey v2's default: a named limit applies only when a verify names it, unless told otherwise.
    autoApply: z.boolean().default(false),
  })
  .openapi("V2RatelimitRequest");

export const v2Ratelimits = z.array(v2Ratelimit).max(MAX_RATELIMITS_PER_KEY);

/** v2 credits and ratelimits as KeySettings (undefined: not sent, so left alone or unset). */
export function v2LimitSettings(body: {
  credits?: z.infer<typeof v2Credits> | null;
  ratelimits?: RatelimitSetting[] | null;
}): Pick<KeySettings, "remaining" | "refill" | "ratelimits"> {
  return {
    ...(body.credits !== undefined && { remaining: body.credits?.remaining ?? null, refill: body.credits?.refill ?? null }),
    ...(body.ratelimits !== undefined && { ratelimits: body.ratelimits }),
  };
}
