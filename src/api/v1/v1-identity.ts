import { z } from "@hono/zod-openapi";
import { type IdentityView, MAX_RATELIMITS_PER_IDENTITY } from "../../identities/identities.ts";
import { INT32_MAX, text } from "../routes/schemas.ts";

/**
 * Unkey v1's identity shapes (0.38 SDK). v1's rate limits have no `autoApply`: they count only
 * when a verify names them, unless v2 made them auto-applied (a v1 update keeps that).
 */
export const v1IdentityRatelimit = z.object({
  name: text(),
  limit: z.number().int().min(1).max(INT32_MAX),
  duration: z.number().int().min(1000).max(INT32_MAX).openapi({ description: "Window length in ms." }),
});

export const v1IdentityRatelimits = z.array(v1IdentityRatelimit).max(MAX_RATELIMITS_PER_IDENTITY);

export const v1Identity = z
  .object({
    id: z.string().openapi({ example: "id_1Ghu6Y2kQ7xW3nZ8rT5vLp" }),
    externalId: z.string().openapi({ example: "user_123" }),
    meta: z.record(z.string(), z.unknown()),
    ratelimits: z.array(v1IdentityRatelimit),
  })
  .openapi("Identity");

export function toV1Identity(view: IdentityView): z.infer<typeof v1Identity> {
  return {
    id: view.id,
    externalId: view.externalId,
    meta: view.meta ?? {},
    ratelimits: view.ratelimits.map(({ name, limit, duration }) => ({ name, limit, duration })),
  };
}
