import { and, asc, eq, gt, ne, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { escrowKeys } from "../db/schema.ts";
import type { VaultClient } from "../vault-client/vault-client.ts";

/**
 * Escrow keys' sealed private keys in `keyhold vault reencrypt` (src/keys/reencrypt-keys.ts):
 * moved onto their keyring's current DEK by the vault (purpose keyPair: they stay sealed), and
 * counted per DEK, so a DEK still protecting one is never reported as safe to retire. Deleted
 * escrow keys count too, as deleted keys do. A ciphertext names its DEK (`v1.<dekId>.…`).
 */
const dekOf = sql<string>`split_part(${escrowKeys.encrypted}, '.', 2)`;
const inScope = (only?: string) => (only ? eq(escrowKeys.workspaceId, only) : undefined);
const stale = (ws: string, primary: string) => and(eq(escrowKeys.workspaceId, ws), ne(dekOf, primary));

export async function escrowWorkspaces(db: Database, only?: string): Promise<string[]> {
  return (await db.selectDistinct({ id: escrowKeys.workspaceId }).from(escrowKeys).where(inScope(only))).map((r) => r.id);
}

export function countStaleEscrowKeys(db: Database, ws: string, primary: string): Promise<number> {
  return db.$count(escrowKeys, stale(ws, primary));
}

/** Like the keys' pass: each row on its own, only if it still holds what was re-encrypted (idempotent, resumable). */
export async function reencryptEscrowKeys(
  db: Database,
  vault: VaultClient,
  ws: string,
  primary: string,
  options: { batchSize: number; signal?: AbortSignal; onMoved: () => void },
): Promise<void> {
  let after = "";
  for (;;) {
    options.signal?.throwIfAborted();
    const batch = await db
      .select({ id: escrowKeys.id, encrypted: escrowKeys.encrypted })
      .from(escrowKeys)
      .where(and(stale(ws, primary), gt(escrowKeys.id, after)))
      .orderBy(asc(escrowKeys.id))
      .limit(options.batchSize);
    if (batch.length === 0) return;
    for (const row of batch) {
      options.signal?.throwIfAborted();
      const next = await vault.reEncrypt({ keyring: ws, encrypted: row.encrypted, context: row.id, purpose: "keyPair" });
      await db
        .update(escrowKeys)
        .set({ encrypted: next.encrypted })
        .where(and(eq(escrowKeys.id, row.id), eq(escrowKeys.workspaceId, ws), eq(escrowKeys.encrypted, row.encrypted)));
      options.onMoved();
    }
    after = batch.at(-1)!.id;
  }
}

/** Sealed private keys per DEK. */
export async function escrowDekUsage(db: Database, only?: string): Promise<{ dek: string; n: number }[]> {
  return db
    .select({ dek: dekOf, n: sql<number>`count(*)::int` })
    .from(escrowKeys)
    .where(inScope(only))
    .groupBy(dekOf);
}
