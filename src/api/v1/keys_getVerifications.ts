import { createRoute, z } from "@hono/zod-openapi";
import { getKeyUsage } from "../../analytics/query.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { errorResponses } from "../errors.ts";
import { id, jsonResponse, text } from "../routes/schemas.ts";
import { apiPermission, rootKeyRequired } from "../routes/route-security.ts";

const time = z.coerce.number().pipe(z.number().int().min(0).max(8_640_000_000_000_000));

const route = createRoute({
  operationId: "keys.getVerifications",
  tags: ["v1 keys"],
  method: "get",
  path: "/v1/keys.getVerifications",
  ...rootKeyRequired(apiPermission("read_key")),
  description:
    "A key's verifications per day (UTC): successes, rate-limited and usage-exceeded; by `keyId`, or summed over every key with this `ownerId`. " +
    "Default range: the last 24 hours. No day with any of the three counts is an empty list.\n\n" +
    "Permission: `api.*.read_key` or `api.<apiId>.read_key` for the API of every key counted (as Unkey's v1).",
  request: {
    query: z.object({
      keyId: id("key_1234").optional(),
      ownerId: text().optional().openapi({ example: "user_123" }),
      start: time.optional().openapi({ description: "Unix ms, truncated to its day. Default: 24 hours ago." }),
      end: time.optional().openapi({ description: "Unix ms. Default: now." }),
      granularity: z.enum(["day"]).optional().openapi({ description: "Only `day`, as Unkey's v1." }),
    }),
  },
  responses: {
    ...jsonResponse(
      z
        .object({ verifications: z.array(z.object({ time: z.number().int(), success: z.number().int(), rateLimited: z.number().int(), usageExceeded: z.number().int() })) })
        .openapi("KeyVerifications"),
      "Counts per day, oldest first.",
    ),
    ...errorResponses,
  },
});

export function registerKeysGetVerifications(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { granularity: _day, ...query } = c.req.valid("query");
    return c.json({ verifications: await getKeyUsage(c.get("deps").db, ctx, query) }, 200);
  });
}
