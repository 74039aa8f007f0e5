import { apiPermission } from "../auth/permissions.ts";
import { type RootKeyContext, requirePermission } from "../auth/root-key-auth.ts";
import type { Database } from "../db/client.ts";
import { requireTargetKey } from "../escrow/target-key.ts";
import { KeyholdError } from "../errors.ts";
import type { VaultClient } from "../vault-client/vault-client.ts";
import { findKey } from "./read-keys.ts";

/**
 * A recoverable key's plaintext as a compact JWE to the caller's P-256 public key. The vault
 * opens the stored ciphertext and seals it to the target itself, so the plaintext is never in
 * clear outside the vault: not in this process, not on the wire.
 */
export async function exportKey(
  db: Database,
  vault: VaultClient | null,
  ctx: RootKeyContext,
  input: { keyId: string; targetPublicKey: unknown },
): Promise<{ keyId: string; exportBundle: string }> {
  const targetPublicKey = await requireTargetKey(input.targetPublicKey);
  const row = await findKey(db, ctx.workspaceId, input.keyId);
  requirePermission(ctx, apiPermission(row.apiId, "export_key"));
  if (row.encrypted === null) {
    throw new KeyholdError("PRECONDITION_FAILED", "The key is not recoverable (it was made without `recoverable: true`): there is no plaintext to export.");
  }
  if (!vault) throw new KeyholdError("SERVICE_UNAVAILABLE", "The vault is not configured, so keys cannot be exported.");
  const exportBundle = await vault.exportTo({ keyring: ctx.workspaceId, encrypted: row.encrypted, context: row.id, purpose: "value", targetPublicKey });
  return { keyId: row.id, exportBundle };
}
