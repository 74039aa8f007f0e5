export type RefillInterval = "daily" | "monthly";

const DAY = 86_400_000;

/**
 * Start of the refill period that contains `now` (UTC). Credits are topped up lazily:
 * a key whose last refill is older than this gets `refill.amount` on its next use.
 * A monthly refill on day 31 happens on the last day of shorter months.
 */
export function refillPeriodStart(interval: RefillInterval, refillDay: number | null, now: number): number {
  const today = Math.floor(now / DAY) * DAY;
  if (interval === "daily") return today;
  const date = new Date(now);
  const day = refillDay ?? 1;
  const thisMonth = startOfDayInMonth(date.getUTCFullYear(), date.getUTCMonth(), day);
  return thisMonth <= now ? thisMonth : startOfDayInMonth(date.getUTCFullYear(), date.getUTCMonth() - 1, day);
}

function startOfDayInMonth(year: number, month: number, day: number): number {
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(day, lastDay));
}

export interface RefillState {
  remaining: number | null;
  refillInterval: RefillInterval | null;
  refillAmount: number | null;
  refillDay: number | null;
  lastRefillAt: number | null;
  createdAt: number;
}

/** Whether a refill is due at `now`; the verify UPDATE applies the same rule in SQL. */
export function refillDue(key: RefillState, now: number): boolean {
  if (key.refillInterval === null || key.refillAmount === null) return false;
  return (key.lastRefillAt ?? key.createdAt) < refillPeriodStart(key.refillInterval, key.refillDay, now);
}

/** Credits as they stand at `now`, counting a refill that is due but not yet applied. */
export function effectiveRemaining(key: RefillState, now: number): number | null {
  return refillDue(key, now) ? key.refillAmount : key.remaining;
}
