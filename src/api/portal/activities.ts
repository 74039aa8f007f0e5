import { z } from "@hono/zod-openapi";
import { PORTAL_OPERATIONS } from "../../activities/catalog.ts";
import { getPortalActivity } from "../../portal/portal-activities.ts";
import type { App } from "../env.ts";
import { portalSessionRequired } from "../routes/route-security.ts";
import { id } from "../routes/schemas.ts";
import { v2Data } from "../v2/envelope.ts";
import { v2Route } from "../v2/route.ts";
import { portalSessionAuth, portalSessionToken } from "./session-auth.ts";

/**
 * Keyhold's portal.getActivity: how a reveal, reroll or create the provider's policies held (a
 * 202 from portal.revealKey, portal.rerollKey or portal.createKey) stands, and once approved and run, its answer, once
 * (src/portal/portal-activities.ts). A read, not an activity: polling it costs one query.
 */
const getActivityRoute = v2Route({
  operation: "portal.getActivity",
  summary: "Poll the end user's held request",
  description:
    "An activity this very session started and the provider's policies held for approval (the `activityId` of a 202 from portal.revealKey, " +
    "portal.rerollKey or portal.createKey): its `status` (`CONSENSUS_NEEDED` while it waits, `EXECUTING`, `COMPLETED`, `FAILED` with the route's `error`, `REJECTED`, or `EXPIRED` " +
    "once it waited too long). Once `COMPLETED`, `result` is the route's answer (`{keyId, plaintext}` or `{keyId, key}`), sealed until then to the session's " +
    "access token and given **once**: the answer that carries it takes it out of the database, and every later one says `alreadyCollected: true`. " +
    "Any activity that is not this session's (another session's, even of the same end user; another identity's or workspace's; the provider's own) " +
    "is a 404 exactly like a missing one. Answers carry `Cache-Control: no-store`. Authenticated by the portal session: the `portal_session` cookie " +
    "(refused, 403, from another origin) or its access token as a bearer.\n\nScope: none beyond the session (it sees only its own activities).",
  permissions: [],
  access: portalSessionRequired(null),
  request: z.object({ activityId: id("act_4dgzrNP3Je5mU1tmX8uLbd") }),
  data: z
    .object({
      activityId: z.string(),
      operation: z.enum(PORTAL_OPERATIONS),
      keyId: z.string().nullable(),
      status: z.enum(["CONSENSUS_NEEDED", "EXECUTING", "COMPLETED", "FAILED", "REJECTED", "EXPIRED"]),
      result: z.record(z.string(), z.unknown()).optional().openapi({ description: "The answer, in the one response that collects it." }),
      alreadyCollected: z.literal(true).optional(),
      error: z.object({ status: z.number().int(), code: z.string(), message: z.string() }).optional(),
      createdAt: z.number(),
      updatedAt: z.number(),
      expiresAt: z.number().optional(),
    })
    .openapi("PortalActivity"),
});

export function registerPortalActivityRoutes(app: App): void {
  app.openapi(getActivityRoute, async (c) => {
    const session = await portalSessionAuth(c);
    const view = await getPortalActivity(c.get("deps").db, session, c.req.valid("json").activityId, portalSessionToken(c));
    c.header("Cache-Control", "no-store");
    return v2Data(c, view);
  });
}
