import type { Context } from "hono";
import type { RootKeyContext } from "../../auth/root-key-auth.ts";
import { type VerifyKeyRequest, type VerifyKeyResult, type VerifyRules, verifyKey } from "../../keys/verify-key.ts";
import type { AppEnv } from "../env.ts";

/**
 * What v1's and v2's verifyKey routes share around the one verify service: its deps, the
 * verdict metrics, and the verification's record in the request log line: code, key id and
 * the request's `tags` (also counted with the verdict by the analytics recorder, which
 * writes in batches: verify writes nothing per call but what its limits need).
 */
export async function verifyFor(
  c: Context<AppEnv>,
  request: VerifyKeyRequest,
  options: { rootKey: RootKeyContext | null; rules: VerifyRules; tags?: string[] },
): Promise<VerifyKeyResult> {
  const { db, verifyCache, lastUsed, analytics, importedPrefixes } = c.get("deps");
  const started = performance.now();
  const result = await verifyKey(db, request, { rootKey: options.rootKey, cache: verifyCache, lastUsed, analytics, tags: options.tags, imports: importedPrefixes, rules: options.rules });
  c.get("metrics").observeVerify(result.code, (performance.now() - started) / 1000);
  c.set("verification", { code: result.code, ...(result.keyId !== undefined && { keyId: result.keyId }), ...(options.tags?.length && { tags: options.tags }) });
  return result;
}
