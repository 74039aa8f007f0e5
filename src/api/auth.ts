import type { Context } from "hono";
import type { Logger } from "pino";
import { type RootKeyContext, authenticateRootKey } from "../auth/root-key-auth.ts";
import { bearerToken } from "../bearer.ts";
import { KeyholdError } from "../errors.ts";
import { ROOT_KEY_PREFIX } from "../keys/key-format.ts";
import type { AppEnv } from "./env.ts";
import { clientAddress } from "./middleware/root-key-failures.ts";

function bearer(c: Context<AppEnv>): string | undefined {
  return bearerToken(c.req.header("Authorization"));
}

/**
 * The caller's root key; 401 if it is missing, unknown, expired or revoked. A client that
 * has sent too many bad root keys lately gets 429 before any lookup (see root-key-failures.ts).
 */
export async function rootKeyAuth(c: Context<AppEnv>): Promise<RootKeyContext> {
  const known = c.get("rootKey");
  if (known) return known;
  const limiter = c.get("deps").rootKeyFailures;
  if (!limiter) return authenticate(c);
  // Working out the client's address costs more than a cached root-key check (it was a seventh
  // of a v2 verify's CPU): it is needed only while some client has failed within the window.
  let client: string | undefined;
  if (!limiter.tracksNoOne()) {
    client = clientAddress(c, limiter.trust);
    const wait = limiter.blockedFor(client);
    if (wait > 0) {
      c.header("Retry-After", String(wait));
      throw new KeyholdError("TOO_MANY_REQUESTS", "Too many requests with an invalid root key from this client; try again later.");
    }
  }
  try {
    return await authenticate(c);
  } catch (error) {
    if (error instanceof KeyholdError && error.code === "UNAUTHORIZED") limiter.recordFailure(client ?? clientAddress(c, limiter.trust));
    throw error;
  }
}

async function authenticate(c: Context<AppEnv>): Promise<RootKeyContext> {
  const { db, rootKeyCache } = c.get("deps");
  const ctx = await authenticateRootKey(db, bearer(c), { cache: rootKeyCache });
  c.set("workspaceId", ctx.workspaceId);
  c.set("rootKey", ctx);
  return ctx;
}

/**
 * For verifyKey, which needs no root key: a valid one scopes the request to its
 * workspace; anything else (Unkey's SDK sends `Bearer public`) is ignored.
 */
export async function optionalRootKeyAuth(c: Context<AppEnv>): Promise<RootKeyContext | null> {
  // What can't be a root key is ignored without building a 401 error first: this is verify's hot path.
  if (!bearer(c)?.startsWith(`${ROOT_KEY_PREFIX}_`)) return null;
  try {
    return await authenticate(c); // never counted nor limited: a bad root key here is ignored
  } catch (error) {
    if (error instanceof KeyholdError && error.code === "UNAUTHORIZED") return null;
    throw error;
  }
}

/** Every plaintext handed out is on record: which keys, for which root key. Never the plaintext itself. */
export function logDecrypts(logger: Logger, requestId: string, rootKeyId: string, keyIds: string[]): void {
  logger.info({ event: "key.decrypt", requestId, rootKeyId, keyIds, count: keyIds.length }, "keys decrypted");
}

/** Every export is on record too: which key or escrow key, for which root key. Never the bundle. */
export function logExport(logger: Logger, requestId: string, rootKeyId: string, exported: { keyId: string } | { escrowKeyId: string }): void {
  logger.info({ event: "keyId" in exported ? "key.export" : "escrow_key.export", requestId, rootKeyId, ...exported }, "key exported");
}
