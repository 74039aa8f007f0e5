import { Unkey } from "unkey-api-v2";
import { beforeAll } from "vitest";
import type { Harness, Workspace } from "../harness.ts";
import { useListener } from "../listen.ts";

/**
 * Unkey's v2 SDK (`@unkey/api` 2.5.1, installed as `unkey-api-v2`) against a real Keyhold
 * listener, changing nothing but `serverURL`. Its response validation is on (the default):
 * a body the SDK does not accept fails the call, so every passing call is contract-shaped.
 */
export interface V2Context {
  serverURL: string;
  ws: Workspace;
  /** An SDK holding the workspace's `*` root key. */
  unkey: Unkey;
  /** An SDK with another root key. */
  sdk(rootKey: string): Unkey;
}

export function useV2Sdk(h: () => Harness): () => V2Context {
  const url = useListener(h);
  let ctx: V2Context;
  beforeAll(async () => {
    const serverURL = url();
    const ws = await h().workspace();
    const sdk = (rootKey: string) => new Unkey({ rootKey, serverURL, retryConfig: { strategy: "none" } });
    ctx = { serverURL, ws, unkey: sdk(ws.rootKey), sdk };
  });
  return () => ctx;
}

/** The error a call throws (failing the test if it resolves). */
export async function failure(call: Promise<unknown>): Promise<unknown> {
  const outcome = await call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}
