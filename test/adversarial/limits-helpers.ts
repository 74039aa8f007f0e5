import type { Harness, Workspace } from "../harness.ts";
import { databaseKinds } from "../harness.ts";

/** Counts of verify codes, for exact "n VALID and m refused" checks. */
export function countCodes(results: { body: { code: string } }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.body.code] = (counts[r.body.code] ?? 0) + 1;
  return counts;
}

/**
 * A window length of at least a minute whose current window has `margin` ms left, found
 * without waiting (windows are aligned to multiples of their length since the epoch).
 */
export function roomyWindow(margin = 20_000): number {
  const now = Date.now();
  let duration = 60_000;
  while (duration - (now % duration) < margin) duration += 1000;
  return duration;
}

/**
 * PGlite has one connection and serializes everything, so races are real only on
 * PostgreSQL: when one is configured the race tests run there alone, otherwise on PGlite
 * so that the logic is still checked.
 */
export const onlyPostgres = (h: Harness): boolean => h.kind === "pglite" && databaseKinds().includes("postgres");

export async function keyWith(h: Harness, body: Record<string, unknown>): Promise<{ ws: Workspace; apiId: string; keyId: string; key: string; remaining: () => Promise<number> }> {
  const ws = await h.workspace();
  const apiId = await h.createApi(ws);
  const { keyId, key } = await h.createKey(ws, apiId, body);
  const remaining = async () => (await h.get("/v1/keys.getKey", { keyId }, ws.rootKey)).body.remaining as number;
  return { ws, apiId, keyId, key, remaining };
}
