import { z } from "@hono/zod-openapi";
import { MAX_RATELIMITS_PER_IDENTITY } from "../../identities/identities.ts";
import { text } from "../routes/schemas.ts";
import { ratelimitRequest } from "./key-fields.ts";

/** v2's identity request fields: the same bounds as a key's (meta, names), Unkey's 50 limits per identity. */

/** An identity's id or its externalId: Unkey v2 accepts either wherever it names one. */
export const identityRef = text().openapi({ description: "The identity's id or its externalId.", example: "user_123" });

export const identityRatelimits = z.array(ratelimitRequest).max(MAX_RATELIMITS_PER_IDENTITY);
