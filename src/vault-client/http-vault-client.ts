import { z } from "zod";
import type { TokenSigner } from "../crypto/service-token-jwt.ts";
import { Batcher } from "../batching/batcher.ts";
import { KeyholdError } from "../errors.ts";
import type { KeyringInfo, VaultClient } from "./vault-client.ts";

export interface HttpVaultClientOptions {
  url: string;
  signToken: TokenSigner;
  timeoutMs?: number;
  /** Defaults to the global fetch; Node passes node:http, the CLI an in-process vault's handler, a Worker its service binding. */
  fetch?: VaultTransport;
}

/** The part of fetch the client uses, so a cheaper transport can stand in. */
export type VaultTransport = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

const sealed = z.object({ encrypted: z.string().min(1), keyId: z.string().min(1) });
const sealedMany = z.object({ items: z.array(sealed) });
const opened = z.object({ plaintext: z.string() });
const openedMany = z.object({ plaintexts: z.array(z.string()) });
const keyPair = z.object({
  publicKey: z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), x: z.string(), y: z.string() }),
  encrypted: z.string().min(1),
  keyId: z.string().min(1),
});
const exported = z.object({ exportBundle: z.string().min(1) });
const keyringInfo = z.object({
  keyring: z.string(),
  primary: z.string(),
  deks: z.array(z.object({ id: z.string(), createdAt: z.number(), kekId: z.string() })),
});
const vaultError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** The vault routes whose 400 means a stored ciphertext was refused. */
const OPENING = new Set(["/vault.v1/decrypt", "/vault.v1/decryptMany", "/vault.v1/reEncrypt", "/vault.v1/exportTo"]);

type EncryptInput = Parameters<VaultClient["encrypt"]>[0];
type Sealed = z.infer<typeof sealed>;
/** Most values one encryptMany call carries (the vault's limit). */
const ENCRYPT_MANY_MAX = 100;

const unavailable = (why: string, cause?: unknown) => new KeyholdError("SERVICE_UNAVAILABLE", `The vault is unavailable: ${why}.`, { cause });

/**
 * The vault over HTTP. Every failure becomes a KeyholdError: an unreachable, slow or
 * garbled vault is 503 (so callers fail closed and write nothing); a ciphertext the
 * vault refuses is reported as such, never as a missing plaintext.
 */
export function createHttpVaultClient(options: HttpVaultClientOptions): VaultClient {
  const base = options.url.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 5000;
  const deadline = sharedDeadlines();

  async function call<T>(method: "GET" | "POST", path: string, body: unknown, schema: z.ZodType<T>): Promise<T | null> {
    let res: Awaited<ReturnType<VaultTransport>>;
    try {
      res = await (options.fetch ?? fetch)(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${await options.signToken()}`, ...(body !== undefined && { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: deadline(timeoutMs),
      });
    } catch (error) {
      const timedOut = [error, (error as Error).cause].some((e) => (e as Error | undefined)?.name === "TimeoutError");
      throw unavailable(timedOut ? `no answer within ${timeoutMs} ms` : "connection failed", error);
    }
    const json: unknown = await res.json().catch(() => undefined);
    if (res.ok) {
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw unavailable("it answered something that is not a vault response");
      return parsed.data;
    }
    if (res.status === 404 && method === "GET") return null;
    const error = vaultError.safeParse(json);
    // Only routes that open a stored ciphertext; the API checks an export's target key before it asks.
    if (res.status === 400 && error.success && OPENING.has(path)) {
      // The vault refused a stored ciphertext: tampered, or moved from another key or workspace.
      throw new KeyholdError("INTERNAL_SERVER_ERROR", "A stored ciphertext could not be decrypted: it was altered or does not belong to this key.");
    }
    throw unavailable(res.status === 401 ? "it refused this API's service token" : `it answered ${res.status}`);
  }

  // Encryptions asked for while others are in flight go to the vault together (one request,
  // one token check, one answer for many createKey calls). A failure there is the vault's,
  // not one item's, so it is not retried item by item.
  const encrypts = new Batcher<EncryptInput, Sealed>(
    async (batch) => {
      if (batch.length === 1) return [(await call("POST", "/vault.v1/encrypt", batch[0], sealed))!];
      const { items } = (await call("POST", "/vault.v1/encryptMany", { items: batch }, sealedMany))!;
      if (items.length !== batch.length) throw unavailable("it answered the wrong number of ciphertexts");
      return items;
    },
    { retryEachOnFailure: false, maxBatch: ENCRYPT_MANY_MAX },
  );

  return {
    encrypt(input) {
      return encrypts.submit(input);
    },
    async decrypt(input) {
      return (await call("POST", "/vault.v1/decrypt", input, opened))!.plaintext;
    },
    async decryptMany(input) {
      if (input.items.length === 0) return [];
      const { plaintexts } = (await call("POST", "/vault.v1/decryptMany", input, openedMany))!;
      if (plaintexts.length !== input.items.length) throw unavailable("it answered the wrong number of plaintexts");
      return plaintexts;
    },
    async reEncrypt(input) {
      return (await call("POST", "/vault.v1/reEncrypt", input, sealed))!;
    },
    async createKeyPair(input) {
      return (await call("POST", "/vault.v1/createKeyPair", input, keyPair))!;
    },
    async exportTo(input) {
      return (await call("POST", "/vault.v1/exportTo", input, exported))!.exportBundle;
    },
    async describeKeyring(keyring): Promise<KeyringInfo | null> {
      return call("GET", `/vault.v1/keyring?keyring=${encodeURIComponent(keyring)}`, undefined, keyringInfo);
    },
  };
}

/**
 * A timeout signal per call costs more CPU than the vault's own work (Node 20 makes every
 * AbortSignal transferable). Calls started within the same 50 ms share one signal, which
 * fires between `timeoutMs` and `timeoutMs + 50` after each of them started.
 */
function sharedDeadlines(): (timeoutMs: number) => AbortSignal {
  const SLICE_MS = 50;
  let current: { until: number; signal: AbortSignal } | null = null;
  return (timeoutMs) => {
    const now = Date.now();
    if (!current || now >= current.until) current = { until: now + SLICE_MS, signal: AbortSignal.timeout(timeoutMs + SLICE_MS) };
    return current.signal;
  };
}
