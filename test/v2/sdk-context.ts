import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { Unkey } from "unkey-api-v2";
import { afterAll, beforeAll } from "vitest";
import type { Harness, Workspace } from "../harness.ts";

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
  let server: ServerType;
  let ctx: V2Context;
  beforeAll(async () => {
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: h().app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => resolve(info.port));
    });
    const serverURL = `http://127.0.0.1:${port}`;
    const ws = await h().workspace();
    const sdk = (rootKey: string) => new Unkey({ rootKey, serverURL, retryConfig: { strategy: "none" } });
    ctx = { serverURL, ws, unkey: sdk(ws.rootKey), sdk };
  });
  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });
  return () => ctx;
}
