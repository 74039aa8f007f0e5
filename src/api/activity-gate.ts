import type { Context } from "hono";
import { type CustodyRules, type ActivityRequest, admitActivity, endActivity, holdActivity, recordRanActivity, DEFAULT_ACTIVITY_TTL_MS } from "../activities/activities.ts";
import { type ActivityKind, activityKind, operationOf } from "../activities/catalog.ts";
import { initiatorContext } from "../activities/initiator.ts";
import { admitPortalActivity } from "../portal/portal-keys.ts";
import { type PortalSession, findLiveSession } from "../portal/sessions.ts";
import { portalSessionAuth, portalSessionToken } from "./portal/session-auth.ts";
import { sealResult } from "../activities/seal.ts";
import type { ActivityRow, Outcome } from "../activities/store.ts";
import type { Database } from "../db/client.ts";
import type { RootKeyContext } from "../auth/root-key-auth.ts";
import { requirePermission } from "../auth/root-key-auth.ts";
import { bearerToken } from "../bearer.ts";
import { KeyholdError } from "../errors.ts";
import { safeError } from "../safe-error.ts";
import { rootKeyAuth } from "./auth.ts";
import type { App, AppEnv } from "./env.ts";
import type { PermissionRule, PermissionsExtension } from "./routes/route-security.ts";
import { V2_PREFIX, isV2 } from "./v2/envelope.ts";
import { z } from "@hono/zod-openapi";

/**
 * The activity layer, in front of every route's services: one wrapper put around each
 * handler as it is registered, after its input is validated. What the catalog does not name
 * runs untouched. See docs/custody-design.md.
 */
type Handler = (c: Context<AppEnv>) => Response | Promise<Response>;
type RouteLike = { path: string; method: string; "x-keyhold-permissions"?: PermissionsExtension; responses?: Record<string, unknown> };

/** Carries the initiator into a replayed request: only this module can put it into a request's env. */
const REPLAY = Symbol("keyhold activity replay");
interface Replay {
  ctx: RootKeyContext;
  /** A portal activity's session, as it is now (read by its id, never from a token). */
  portalSession?: PortalSession;
}

export function gateActivities(app: App, rules: CustodyRules): void {
  const register = app.openapi.bind(app) as (route: RouteLike, handler: Handler, hook?: unknown) => App;
  (app as unknown as { openapi: typeof register }).openapi = (route, handler, hook) => {
    const kind = activityKind(operationOf(route.path));
    if (!kind) return register(route, handler, hook);
    route.responses = { ...route.responses, 202: heldResponse(route.path.startsWith(V2_PREFIX), kind.initiator === "portal") };
    return register(route, gate(route, kind, handler, rules), hook);
  };
}

/** The answer to a held request, in each version's envelope. */
const held = z.object({ activityId: z.string(), status: z.literal("CONSENSUS_NEEDED") }).openapi("HeldActivity");
const heldV2 = z.object({ meta: z.object({ requestId: z.string() }), data: held }).openapi("V2HeldActivity");
const heldResponse = (v2: boolean, portal: boolean) => ({
  description:
    "CONSENSUS_NEEDED: a policy or the root quorum holds the request until enough users approve it (activities.approveActivity); nothing ran yet." +
    (portal ? " This session collects the answer, once, with portal.getActivity." : ""),
  content: { "application/json": { schema: v2 ? heldV2 : held } },
});

function gate(route: RouteLike, kind: NonNullable<ReturnType<typeof activityKind>>, handler: Handler, rules: CustodyRules): Handler {
  const operation = operationOf(route.path);
  const declared = route["x-keyhold-permissions"]?.allOf ?? [];
  return async (c) => {
    const replay = (c.env as Record<symbol, Replay> | undefined)?.[REPLAY];
    if (replay) {
      c.set("rootKey", replay.ctx);
      // The portal route finds its session here and checks scope and key ownership again.
      if (replay.portalSession) {
        c.set("portalSession", replay.portalSession);
        c.set("workspaceId", replay.portalSession.workspaceId);
      }
      return handler(c);
    }
    const validated = validatedInput(c, route.method);
    if (kind.applies && !kind.applies(validated)) return handler(c);
    const { db } = c.get("deps");
    const { ctx, input, secret } = await initiatorOf(c, kind, operation, validated);
    const request: ActivityRequest = { ctx, kind, operation, input };
    const admission = await admitActivity(db, rules, request);
    const { decision } = admission;
    if (!decision.run) {
      // Root-key permissions come first: a key that may not do it at all is refused as such,
      // not told which policy would have refused it, and not held for approvals.
      requireRules(ctx, declared, input, admission.target.apiId);
    }
    if ("waiting" in decision) kind.precheck?.(input);
    if ("denied" in decision) {
      // An end user is not told the provider's policies; the provider's own callers are.
      if (kind.initiator === "portal") throw new KeyholdError("FORBIDDEN", "Refused by the workspace's policies.");
      throw new KeyholdError("FORBIDDEN", `Denied by policy "${decision.denied.name}" (${decision.denied.policyId}).`);
    }
    if ("waiting" in decision) {
      const raw = route.method === "get" ? c.req.query() : await c.req.json();
      const ttl = c.get("deps").activityTtlMs ?? DEFAULT_ACTIVITY_TTL_MS;
      const activityId = await holdActivity(db, request, admission, { method: route.method.toUpperCase(), path: c.req.path, raw }, secret(), ttl);
      const held = { activityId, status: "CONSENSUS_NEEDED" };
      return isV2(c) ? c.json({ meta: { requestId: c.get("requestId") }, data: held }, 202) : c.json(held, 202);
    }
    const record = (outcome: Outcome) => recordRanActivity(c.get("deps").activityRecords!, request, admission, c.req.path, outcome);
    const sent = captureJson(c);
    let res: Response;
    try {
      res = await handler(c);
    } catch (error) {
      const refusal = error instanceof KeyholdError ? { status: error.status, result: { code: error.code, message: error.message } } : { status: 500, result: { code: "INTERNAL_SERVER_ERROR" } };
      await record({ status: "FAILED", resultStatus: refusal.status, result: refusal.result }).catch((e: unknown) => unrecorded(c, e));
      throw error;
    }
    // What ran has happened: a failure to record it must not turn its answer into an error (the
    // caller would retry what already took effect); it is logged loudly instead.
    await record({ status: res.status < 300 ? "COMPLETED" : "FAILED", resultStatus: res.status, result: sent.body === undefined ? null : answerIn(sent.body) }).catch((e: unknown) => unrecorded(c, e));
    return res;
  };
}

/**
 * Who starts the activity, and what it records as its input: the caller's root key, or for a
 * portal call the end user's session (checked for its scope and key first, see portal-keys.ts).
 * `secret` is the credential it came with (read only if the activity is held): the answer of a
 * held activity is sealed to it, so only that root key, or that session, opens it.
 */
async function initiatorOf(
  c: Context<AppEnv>,
  kind: ActivityKind,
  operation: string,
  input: Record<string, unknown>,
): Promise<{ ctx: RootKeyContext; input: Record<string, unknown>; secret: () => string }> {
  if (kind.initiator !== "portal") return { ctx: await rootKeyAuth(c), input, secret: () => bearerToken(c.req.header("Authorization"))! };
  const session = await portalSessionAuth(c);
  return { ctx: session.ctx, input: await admitPortalActivity(c.get("deps").db, session, operation, input), secret: () => portalSessionToken(c) };
}

/**
 * An answer as an activity keeps it, the same whichever version served it: the data (v2's
 * envelope taken off), or the refusal's code and message.
 */
async function answerOf(res: Response): Promise<unknown> {
  return res.headers.get("Content-Type")?.includes("json") ? answerIn(await res.json()) : null;
}

function answerIn(sent: unknown): unknown {
  const body = sent as { data?: unknown; error?: { code?: string; message?: string; type?: string; detail?: string }; meta?: unknown };
  if (body === null || typeof body !== "object") return body;
  if (body.error) return { code: body.error.code ?? body.error.type?.split("#")[1], message: body.error.message ?? body.error.detail };
  return body.meta !== undefined && "data" in body ? body.data : body;
}

/**
 * What the route hands to `c.json`, kept as it was given: reading it back from the Response
 * meant cloning its body stream and parsing it again (a tenth of a createKey's CPU).
 */
function captureJson(c: Context<AppEnv>): { body: unknown } {
  const sent: { body: unknown } = { body: undefined };
  const json = c.json.bind(c);
  c.json = ((object: unknown, ...rest: unknown[]) => {
    sent.body = object;
    return (json as (...args: unknown[]) => Response)(object, ...rest);
  }) as typeof c.json;
  return sent;
}

function unrecorded(c: Context<AppEnv>, error: unknown): void {
  c.get("deps").logger.error({ err: safeError(error), requestId: c.get("requestId") }, "activity ran but its record was not written");
}

function validatedInput(c: Context<AppEnv>, method: string): Record<string, unknown> {
  const req = c.req as unknown as { valid(target: string): unknown };
  return (req.valid(method === "get" ? "query" : "json") ?? {}) as Record<string, unknown>;
}

/**
 * The route's declared permission rules that apply to this input, `<apiId>` read as the
 * activity's API: those without a condition, and those whose condition is a flag the input
 * sets (`decrypt=true`, `recoverable=true`). The rest are checked when the route runs.
 */
function requireRules(ctx: RootKeyContext, rules: PermissionRule[], input: Record<string, unknown>, apiId: string | undefined): void {
  const applies = (rule: PermissionRule) => rule.when === undefined || (/^\w+=true$/.test(rule.when) && input[rule.when.slice(0, -"=true".length)] === true);
  for (const rule of rules.filter(applies)) {
    const anyOf = rule.anyOf.flatMap((p) => (!p.includes("<") ? [p] : apiId !== undefined && p.includes("<apiId>") ? [p.replace("<apiId>", apiId)] : []));
    if (anyOf.length > 0) requirePermission(ctx, ...anyOf);
  }
}

/**
 * Runs a claimed activity: its stored request goes through the same app, with the initiator
 * as it is now (its root key, or for a portal activity the end user's session), so routes,
 * permission checks and services run exactly as they would have; an initiator gone meanwhile
 * runs nothing and the activity fails. The answer is sealed for the initiator.
 */
export async function runHeldActivity(
  app: { fetch: (request: Request, env: unknown) => Response | Promise<Response> },
  db: Database,
  activity: ActivityRow,
): Promise<void> {
  const initiator = await heldInitiator(db, activity);
  if ("gone" in initiator) {
    await endActivity(db, activity, { status: "FAILED", resultStatus: 401, result: { code: "UNAUTHORIZED", message: initiator.gone } });
    return;
  }
  const stored = activity.input as { method: string; raw: unknown };
  const url = new URL(`http://keyhold.internal${activity.path}`);
  const init: RequestInit = { method: stored.method, headers: { "Content-Type": "application/json" } };
  if (stored.method === "GET") for (const [k, v] of Object.entries(stored.raw as Record<string, string>)) url.searchParams.set(k, v);
  else init.body = JSON.stringify(stored.raw);
  const res = await app.fetch(new Request(url, init), { [REPLAY]: initiator satisfies Replay });
  const body = await answerOf(res);
  const ok = res.status < 300;
  const sealed = ok && activity.sealPublicKey ? await sealResult(activity.sealPublicKey, body) : null;
  await endActivity(db, activity, { status: ok ? "COMPLETED" : "FAILED", resultStatus: res.status, result: body, resultSealed: sealed });
}

/**
 * Who a held activity runs as, read now: the initiator's root key, or the portal session its
 * params name (by id: the token is not stored), each only while it is live.
 */
async function heldInitiator(db: Database, activity: ActivityRow): Promise<Replay | { gone: string }> {
  if (activityKind(activity.operation)?.initiator === "portal") {
    const sessionId = activity.params.portalSessionId;
    const session = typeof sessionId === "string" ? await findLiveSession(db, activity.workspaceId, sessionId) : null;
    if (!session) return { gone: "The end user's portal session ended (expired or deleted, or its portal, identity or root key is gone) before the activity could run: nothing was done." };
    return { ctx: session.ctx, portalSession: session };
  }
  const ctx = await initiatorContext(db, activity.workspaceId, activity.initiatorRootKeyId);
  return ctx ? { ctx } : { gone: "The initiator's root key was deleted or expired before the activity could run." };
}
