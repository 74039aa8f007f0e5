import { apiPermission, hasPermission } from "../auth/permissions.ts";
import type { RootKeyContext } from "../auth/root-key-auth.ts";
import { sha256Hex } from "../crypto/hash.ts";
import type { Database } from "../db/client.ts";
import { notFound } from "../errors.ts";
import { type KeyView, toKeyView } from "./key-view.ts";
import { findVerifiableKey } from "./verify-key.ts";

/**
 * The key a plaintext belongs to (v2 keys.whoami), hashed as verify hashes it and looked up
 * only in the caller's workspace, so another workspace's key is no row, exactly like a
 * missing one. Never the plaintext or the ciphertext: the caller sent the one, and the
 * lookup does not read the other.
 *
 * A root key without `read_key` on the key's API also gets NOT_FOUND, as in Unkey: a 403
 * would confirm to whoever holds a guessed or leaked string that it is a live key.
 */
export async function whoami(db: Database, ctx: RootKeyContext, key: string): Promise<KeyView> {
  const found = await findVerifiableKey(db, sha256Hex(key), ctx.workspaceId);
  if (!found || !hasPermission(ctx.permissions, apiPermission(found.apiId, "read_key"))) throw notFound("key");
  const { permissions, roles, ...row } = found;
  return toKeyView(row, { permissions, roles });
}
