import { expect, test } from "vitest";
import { forEachDatabase } from "../harness.ts";
import { portalWorld, sessionToken } from "./fixtures.ts";

/** playground.js itself, run in Node against the app: which key it picks, what it skips, its errors. */
type PlaygroundKey = (options: { keyholdUrl?: string; accessToken?: string; apiId: string; fetch?: typeof fetch }) => Promise<{ keyId: string; key: string; name?: string } | null>;
// A path in a variable: the module is browser JavaScript, typed for the Worker bundle as text.
const modulePath = "../../src/api/portal-page/assets/playground.js";
const playground = (await import(modulePath)) as { playgroundKey: PlaygroundKey; scalarAuthentication: (key: string | null, scheme: string, options?: { apiKey?: boolean }) => unknown };

forEachDatabase(
  "playground.js",
  (h) => {
    const fetcher = ((url: string, init: RequestInit) => h().app.request(url, init)) as unknown as typeof fetch;

    test("finds the end user's recoverable key in the chosen API; a plain key is skipped; no reveal scope is an error with its status", async () => {
      const world = await portalWorld(h());
      const accessToken = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ["keys:read", "keys:reveal"]);
      const found = await playground.playgroundKey({ keyholdUrl: "http://localhost/", accessToken, apiId: world.apiId, fetch: fetcher });
      expect(found).toEqual({ keyId: world.alice.recoverable.keyId, key: world.alice.recoverable.key, name: "alice-recoverable" });
      // alice's only key in the plain API is not recoverable (412): none to hand over.
      expect(await playground.playgroundKey({ keyholdUrl: "http://localhost", accessToken, apiId: world.plainApiId, fetch: fetcher })).toBeNull();
      // An API outside the portal: the server's 404, with its words.
      await expect(playground.playgroundKey({ keyholdUrl: "http://localhost", accessToken, apiId: world.outsideApiId, fetch: fetcher })).rejects.toMatchObject({ status: 404 });
      const readOnly = await sessionToken(h(), world.ws.rootKey, world.portalId, "alice", ["keys:read"]);
      await expect(playground.playgroundKey({ keyholdUrl: "http://localhost", accessToken: readOnly, apiId: world.apiId, fetch: fetcher })).rejects.toMatchObject({ status: 403, message: expect.stringContaining("keys:reveal") });
    });

    test("scalarAuthentication is Scalar's authentication configuration", () => {
      expect(playground.scalarAuthentication("acme_x", "bearerAuth")).toEqual({ preferredSecurityScheme: "bearerAuth", securitySchemes: { bearerAuth: { token: "acme_x" } } });
      expect(playground.scalarAuthentication("acme_x", "apiKeyHeader", { apiKey: true })).toEqual({ preferredSecurityScheme: "apiKeyHeader", securitySchemes: { apiKeyHeader: { value: "acme_x" } } });
      expect(playground.scalarAuthentication(null, "bearerAuth")).toEqual({ preferredSecurityScheme: "bearerAuth" });
    });
  },
  { vault: true },
);
