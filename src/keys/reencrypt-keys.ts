import { and, asc, eq, gt, isNotNull, ne, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { keys } from "../db/schema.ts";
import type { VaultClient } from "../vault-client/vault-client.ts";
import { countStaleEscrowKeys, escrowDekUsage, escrowWorkspaces, reencryptEscrowKeys } from "../escrow/reencrypt-escrow-keys.ts";

export interface ReencryptProgress {
  done: number;
  total: number;
}

export interface ReencryptReport {
  moved: number;
  /** Ciphertexts (recoverable keys and escrow keys' sealed private keys) per DEK after the run, over the keyrings it covered. */
  perDek: Record<string, number>;
  /** DEKs of those keyrings that no ciphertext uses any more: safe to retire. */
  unreferencedDeks: string[];
}

/**
 * Moves every recoverable key's ciphertext, and every escrow key's sealed private key, onto its keyring's current DEK. Each row is
 * updated on its own, only if it still holds the ciphertext that was re-encrypted, so the
 * run is idempotent and resumable: killed half-way, the next run picks up what is left.
 */
export async function reencryptKeys(
  db: Database,
  vault: VaultClient,
  options: { workspaceId?: string; batchSize?: number; onProgress?: (p: ReencryptProgress) => void; signal?: AbortSignal } = {},
): Promise<ReencryptReport> {
  const batchSize = options.batchSize ?? 100;
  const scope = and(isNotNull(keys.encrypted), options.workspaceId ? eq(keys.workspaceId, options.workspaceId) : undefined);
  const withKeys = (await db.selectDistinct({ id: keys.workspaceId }).from(keys).where(scope)).map((r) => r.id);
  const workspaceIds = [...new Set([...withKeys, ...(await escrowWorkspaces(db, options.workspaceId))])];
  const primaries = new Map<string, string>();
  for (const ws of workspaceIds) {
    const info = await vault.describeKeyring(ws);
    if (info) primaries.set(ws, info.primary);
  }
  const stale = (ws: string) => and(scope, eq(keys.workspaceId, ws), ne(keys.encryptionKeyId, primaries.get(ws) ?? ""));
  let total = 0;
  for (const [ws, primary] of primaries) total += (await db.$count(keys, stale(ws))) + (await countStaleEscrowKeys(db, ws, primary));

  let moved = 0;
  for (const ws of primaries.keys()) {
    let after = "";
    for (;;) {
      options.signal?.throwIfAborted();
      const batch = await db
        .select({ id: keys.id, encrypted: keys.encrypted })
        .from(keys)
        .where(and(stale(ws), gt(keys.id, after)))
        .orderBy(asc(keys.id))
        .limit(batchSize);
      if (batch.length === 0) break;
      for (const row of batch) {
        options.signal?.throwIfAborted();
        const next = await vault.reEncrypt({ keyring: ws, encrypted: row.encrypted!, context: row.id });
        await db
          .update(keys)
          .set({ encrypted: next.encrypted, encryptionKeyId: next.keyId })
          .where(and(eq(keys.id, row.id), eq(keys.workspaceId, ws), eq(keys.encrypted, row.encrypted!)));
        moved++;
        options.onProgress?.({ done: moved, total });
      }
      after = batch.at(-1)!.id;
    }
    await reencryptEscrowKeys(db, vault, ws, primaries.get(ws)!, {
      batchSize,
      signal: options.signal,
      onMoved: () => {
        moved++;
        options.onProgress?.({ done: moved, total });
      },
    });
  }
  return { moved, ...(await dekUsage(db, vault, [...primaries.keys()], options.workspaceId)) };
}

/** How many ciphertexts each DEK of the given keyrings still protects. */
export async function dekUsage(
  db: Database,
  vault: VaultClient,
  workspaceIds: string[],
  only?: string,
): Promise<{ perDek: Record<string, number>; unreferencedDeks: string[] }> {
  const rows = await db
    .select({ dek: keys.encryptionKeyId, n: sql<number>`count(*)::int` })
    .from(keys)
    .where(and(isNotNull(keys.encrypted), only ? eq(keys.workspaceId, only) : undefined))
    .groupBy(keys.encryptionKeyId);
  const perDek: Record<string, number> = Object.fromEntries(rows.map((r) => [r.dek ?? "unknown", r.n]));
  for (const { dek, n } of await escrowDekUsage(db, only)) perDek[dek] = (perDek[dek] ?? 0) + n;
  const unreferencedDeks: string[] = [];
  for (const ws of workspaceIds) {
    const info = await vault.describeKeyring(ws);
    for (const dek of info?.deks ?? []) if (!perDek[dek.id]) unreferencedDeks.push(dek.id);
  }
  return { perDek, unreferencedDeks };
}
