import { and, eq, gt, isNull } from "drizzle-orm";
import { ESCROW, escrowPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { P256PublicJwk } from "../crypto/export-bundle.ts";
import type { Database } from "../db/client.ts";
import { escrowKeys } from "../db/schema.ts";
import { KeyholdError } from "../errors.ts";
import { newId } from "../ids.ts";
import { MAX_LIST_LIMIT } from "../paging.ts";
import type { VaultClient } from "../vault-client/vault-client.ts";
import { requireTargetKey } from "./target-key.ts";

/**
 * Escrow keys (Turnkey's encryption-key escrow): a P-256 key pair made inside the vault. The
 * caller encrypts its own data to the public key and keeps it wherever it likes; Keyhold never
 * sees that data, and the private key leaves the vault only sealed to a caller's key
 * (exportEscrowKey). This database holds the public key and the vault's ciphertext of the
 * private one, bound to the workspace's keyring and the escrow key's id. Every query is scoped
 * to the caller's workspace: another workspace's escrow key answers like a missing one. Reading,
 * deleting and exporting take `escrow.*.<action>` or the escrow key's own `escrow.<id>.<action>`.
 */

export type EscrowKeyRow = typeof escrowKeys.$inferSelect;

export interface EscrowKeyView {
  escrowKeyId: string;
  name: string;
  publicKey: P256PublicJwk;
  createdAt: number;
}

const noVault = () => new KeyholdError("SERVICE_UNAVAILABLE", "The vault is not configured, so escrow keys cannot be made or exported.");
export const escrowKeyNotFound = () => new KeyholdError("NOT_FOUND", "The escrow key does not exist.");

function toView(row: EscrowKeyRow): EscrowKeyView {
  return { escrowKeyId: row.id, name: row.name, publicKey: row.publicKey, createdAt: row.createdAt };
}

/** A live escrow key of the workspace, or NOT_FOUND (foreign and missing look the same). */
async function findEscrowKey(db: Database, workspaceId: string, escrowKeyId: string): Promise<EscrowKeyRow> {
  const [row] = await db
    .select()
    .from(escrowKeys)
    .where(and(eq(escrowKeys.id, escrowKeyId), eq(escrowKeys.workspaceId, workspaceId), isNull(escrowKeys.deletedAt)))
    .limit(1);
  if (!row) throw escrowKeyNotFound();
  return row;
}

/** The vault makes the pair first; the row is written only once it holds the sealed private key. */
export async function createEscrowKey(
  db: Database,
  vault: VaultClient | null,
  ctx: RootKeyContext,
  input: { name: string },
): Promise<{ escrowKeyId: string; publicKey: P256PublicJwk }> {
  requirePermission(ctx, ESCROW.createKey);
  if (!vault) throw noVault();
  const id = newId("esc");
  const pair = await vault.createKeyPair({ keyring: ctx.workspaceId, context: id });
  await db.insert(escrowKeys).values({ id, workspaceId: ctx.workspaceId, name: input.name, publicKey: pair.publicKey, encrypted: pair.encrypted, createdAt: Date.now() });
  return { escrowKeyId: id, publicKey: pair.publicKey };
}

export async function getEscrowKey(db: Database, ctx: RootKeyContext, input: { escrowKeyId: string }): Promise<EscrowKeyView> {
  const row = await findEscrowKey(db, ctx.workspaceId, input.escrowKeyId);
  requirePermission(ctx, ESCROW.readKey, escrowPermission(row.id, "read_key"));
  return toView(row);
}

/** A page in id (creation) order; `cursor` is the last id of the page before. */
export async function listEscrowKeys(
  db: Database,
  ctx: RootKeyContext,
  input: { limit?: number; cursor?: string },
): Promise<{ items: EscrowKeyView[]; cursor?: string }> {
  requirePermission(ctx, ESCROW.readKey);
  const limit = input.limit ?? MAX_LIST_LIMIT;
  const rows = await db
    .select()
    .from(escrowKeys)
    .where(and(eq(escrowKeys.workspaceId, ctx.workspaceId), isNull(escrowKeys.deletedAt), input.cursor !== undefined ? gt(escrowKeys.id, input.cursor) : undefined))
    .orderBy(escrowKeys.id)
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return { items: page.map(toView), ...(rows.length > limit && { cursor: page.at(-1)!.id }) };
}

/** Soft delete: the escrow key answers NOT_FOUND at once and can never be exported again. */
export async function deleteEscrowKey(db: Database, ctx: RootKeyContext, input: { escrowKeyId: string }): Promise<void> {
  const row = await findEscrowKey(db, ctx.workspaceId, input.escrowKeyId);
  requirePermission(ctx, ESCROW.deleteKey, escrowPermission(row.id, "delete_key"));
  const deleted = await db
    .update(escrowKeys)
    .set({ deletedAt: Date.now() })
    .where(and(eq(escrowKeys.id, row.id), eq(escrowKeys.workspaceId, ctx.workspaceId), isNull(escrowKeys.deletedAt)))
    .returning({ id: escrowKeys.id });
  if (deleted.length === 0) throw escrowKeyNotFound(); // deleted concurrently
}

/** The private JWK as a compact JWE to the caller's key, sealed inside the vault. */
export async function exportEscrowKey(
  db: Database,
  vault: VaultClient | null,
  ctx: RootKeyContext,
  input: { escrowKeyId: string; targetPublicKey: unknown },
): Promise<{ escrowKeyId: string; exportBundle: string }> {
  const targetPublicKey = await requireTargetKey(input.targetPublicKey);
  const row = await findEscrowKey(db, ctx.workspaceId, input.escrowKeyId);
  requirePermission(ctx, ESCROW.exportKey, escrowPermission(row.id, "export_key"));
  if (!vault) throw noVault();
  const exportBundle = await vault.exportTo({ keyring: ctx.workspaceId, encrypted: row.encrypted, context: row.id, purpose: "keyPair", targetPublicKey });
  return { escrowKeyId: row.id, exportBundle };
}
