import { activityKind } from "../activities/catalog.ts";
import { openResult } from "../activities/seal.ts";
import { type ActivityRow, type ActivityStatus, findActivity, statusOf, takeSealedResult } from "../activities/store.ts";
import type { Database } from "../db/client.ts";
import { KeyholdError } from "../errors.ts";
import type { PortalSession } from "./sessions.ts";

/**
 * What an end user sees of an activity their portal session started and a policy held (a
 * reveal or a reroll waiting for the provider's approval): its status, and once it ran, its
 * answer, once. The answer rests sealed to the session's access token (src/activities/seal.ts),
 * so no one else opens it: not another session, not the provider's root keys, not the database.
 * Approvals, approvers and policies are the provider's business and are not shown.
 */
export interface PortalActivityView {
  activityId: string;
  operation: string;
  keyId: string | null;
  status: ActivityStatus;
  /** The route's answer (`{keyId, plaintext}`, `{keyId, key}`): only in the one answer that collects it. */
  result?: unknown;
  /** COMPLETED, and its answer was collected by an earlier call: it is given once. */
  alreadyCollected?: true;
  /** FAILED: what the route answered when it ran. */
  error?: { status: number; code: string; message: string };
  createdAt: number;
  updatedAt: number;
  expiresAt?: number;
}

/** One answer for every id that is not this session's: missing, another session's, another identity's or workspace's, or no portal activity. */
const notFound = () => new KeyholdError("NOT_FOUND", "The activity does not exist.");

/**
 * The session's own activity; `accessToken` is the token the session authenticated with, which
 * opens the sealed answer. Collecting takes the answer out of the database (takeSealedResult):
 * a second call reads `alreadyCollected`.
 */
export async function getPortalActivity(db: Database, session: PortalSession, activityId: string, accessToken: string, now = Date.now()): Promise<PortalActivityView> {
  const row = await findActivity(db, session.workspaceId, activityId);
  if (!row || !startedBy(row, session)) throw notFound();
  const view: PortalActivityView = {
    activityId: row.id,
    operation: row.operation,
    keyId: row.keyId,
    status: statusOf(row, now),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    ...(row.expiresAt !== null && { expiresAt: row.expiresAt }),
  };
  if (view.status === "FAILED") view.error = failure(row);
  if (view.status !== "COMPLETED") return view;
  const taken = row.resultSealed !== null ? await takeSealedResult(db, row.id) : null;
  if (!taken) return { ...view, alreadyCollected: true };
  const opened = await openResult(accessToken, row.id, taken.wrappedPrivateKey, taken.sealed);
  // The session that started it is the one whose token sealed it: anything else is a fault, not an answer.
  if (opened === null) throw new Error(`portal activity ${row.id}: its session's token did not open its sealed answer`);
  return { ...view, result: opened };
}

/** A portal activity of this very session: what its params recorded when the gate admitted it (portal-keys.ts). */
function startedBy(row: ActivityRow, session: PortalSession): boolean {
  return activityKind(row.operation)?.initiator === "portal" && row.params.portalSessionId === session.id;
}

function failure(row: ActivityRow): { status: number; code: string; message: string } {
  const result = (row.result ?? {}) as { code?: unknown; message?: unknown };
  return {
    status: row.resultStatus ?? 500,
    code: typeof result.code === "string" ? result.code : "INTERNAL_SERVER_ERROR",
    message: typeof result.message === "string" ? result.message : "The activity failed.",
  };
}
