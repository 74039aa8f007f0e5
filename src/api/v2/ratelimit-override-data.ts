import { z } from "@hono/zod-openapi";
import type { Override } from "../../ratelimits/namespaces.ts";

/** Unkey v2's RatelimitOverride. */
export const ratelimitOverrideData = z
  .object({ overrideId: z.string(), identifier: z.string(), limit: z.number().int(), duration: z.number().int() })
  .openapi("V2RatelimitOverride");

export const toOverrideData = (o: Override) => ({ overrideId: o.id, identifier: o.identifier, limit: o.limit, duration: o.duration });
