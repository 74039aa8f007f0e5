import { z } from "@hono/zod-openapi";
import { updateRemaining } from "../../keys/update-key.ts";
import { rootKeyAuth } from "../auth.ts";
import type { App } from "../env.ts";
import { credits, id } from "../routes/schemas.ts";
import { apiPermission } from "../routes/route-security.ts";
import { v2Data } from "./envelope.ts";
import { keyCreditsData, toKeyCreditsData } from "./key-data.ts";
import { v2Route } from "./route.ts";

const route = v2Route({
  operation: "keys.updateCredits",
  summary: "Update a key's credits",
  description:
    "Sets, adds to or takes from a key's credits, atomically with concurrent verifies (a decrement stops at 0). `set` with `null` " +
    "(or no value) makes them unlimited and ends the refill.\n\nPermission: `api.*.update_key` or `api.<apiId>.update_key`.",
  permissions: [apiPermission("update_key")],
  request: z.object({ keyId: id("key_1234"), operation: z.enum(["set", "increment", "decrement"]), value: credits.nullable().optional() }),
  data: keyCreditsData,
});

export function registerV2UpdateCredits(app: App): void {
  app.openapi(route, async (c) => {
    const ctx = await rootKeyAuth(c);
    const { keyId, operation, value } = c.req.valid("json");
    const result = await updateRemaining(c.get("deps").db, ctx, { keyId, op: operation, value: value ?? null }, { unlimitedClearsRefill: true });
    return v2Data(c, toKeyCreditsData(result));
  });
}
