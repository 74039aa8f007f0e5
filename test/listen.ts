import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { Unkey as UnkeyV1 } from "@unkey/api";
import { afterAll, beforeAll } from "vitest";
import type { Harness } from "./harness.ts";

/**
 * The harness's app on a loopback port of its own for the suite's lifetime, for the real SDKs
 * (which speak HTTP): call it in the suite body, read the base URL in tests and later hooks.
 */
export function useListener(h: () => Harness): () => string {
  let server: ServerType;
  let url = "";
  beforeAll(async () => {
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: h().app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => resolve(info.port));
    });
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(() => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))));
  return () => url;
}

/** Unkey's v1 SDK (`@unkey/api` 0.38.0) pointed at Keyhold, changing nothing but `baseUrl`; no retries, no telemetry. */
export const v1Sdk = (baseUrl: string, rootKey: string) => new UnkeyV1({ rootKey, baseUrl, disableTelemetry: true, retry: { attempts: 0 } });
