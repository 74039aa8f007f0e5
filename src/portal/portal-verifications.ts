import { getVerifications, truncate } from "../analytics/query.ts";
import type { Database } from "../db/client.ts";
import { KeyholdError } from "../errors.ts";
import { requireOwnKey } from "./portal-keys.ts";
import { type PortalSession, requireScope } from "./sessions.ts";

/**
 * Unkey v2's portal.getVerifications: the session identity's verifications in a fixed window,
 * per outcome, one bucket per hour (windows up to two days) or per day (up to
 * MAX_WINDOW_DAYS), zero-filled. Counted by the analytics query itself, with the session's
 * context (its portal's APIs, read_analytics) and the identity as the filter.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const MAX_WINDOW_DAYS = 92;

export interface PortalDataPoint {
  time: number;
  total: number;
  valid: number;
  rateLimited: number;
  insufficientPermissions: number;
  forbidden: number;
  disabled: number;
  expired: number;
  usageExceeded: number;
}

export async function portalVerifications(
  db: Database,
  session: PortalSession,
  input: { startTime: number; endTime: number; keyId?: string },
): Promise<PortalDataPoint[]> {
  requireScope(session, "analytics:read");
  const { startTime, endTime } = input;
  if (startTime >= endTime) throw new KeyholdError("BAD_REQUEST", "startTime must be before endTime.");
  if (endTime - startTime > MAX_WINDOW_DAYS * DAY_MS) throw new KeyholdError("BAD_REQUEST", `The window may span at most ${MAX_WINDOW_DAYS} days.`);
  if (input.keyId !== undefined) await requireOwnKey(db, session, input.keyId);
  const granularity = endTime - startTime <= 2 * DAY_MS ? "hour" : "day";
  const step = granularity === "hour" ? HOUR_MS : DAY_MS;
  const rows =
    session.apiIds.length === 0
      ? []
      : await getVerifications(
          db,
          session.ctx,
          { externalId: session.externalId, keyIds: input.keyId === undefined ? undefined : [input.keyId], start: startTime, end: endTime - 1, groupBy: [granularity] },
          { action: "read_analytics" },
          { missingApi: "empty" },
        );
  const byTime = new Map(rows.map((r) => [r.time, r]));
  const points: PortalDataPoint[] = [];
  for (let time = truncate(startTime, granularity); time < endTime; time += step) {
    const r = byTime.get(time);
    points.push({
      time,
      total: r?.total ?? 0,
      valid: r?.valid ?? 0,
      rateLimited: r?.rateLimited ?? 0,
      insufficientPermissions: r?.insufficientPermissions ?? 0,
      forbidden: r?.forbidden ?? 0,
      disabled: r?.disabled ?? 0,
      expired: r?.expired ?? 0,
      usageExceeded: r?.usageExceeded ?? 0,
    });
  }
  return points;
}
