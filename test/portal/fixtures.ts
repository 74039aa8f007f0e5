import { expect } from "vitest";
import type { Harness, Response, Workspace } from "../harness.ts";

/**
 * A workspace set up for portal tests: a recoverable API and a plain one in one portal, an
 * end user (`alice`) with a recoverable key, a plain key and a key in an API outside the
 * portal, and another end user (`bob`) with a key of his own.
 */
export interface PortalWorld {
  ws: Workspace;
  apiId: string;
  plainApiId: string;
  outsideApiId: string;
  portalId: string;
  alice: { recoverable: { keyId: string; key: string }; plain: { keyId: string; key: string }; outside: { keyId: string; key: string } };
  bob: { keyId: string; key: string };
}

export const ALL_SCOPES = ["keys:read", "keys:create", "keys:reroll", "analytics:read", "keys:reveal"];

export async function portalWorld(h: Harness, ws?: Workspace): Promise<PortalWorld> {
  ws ??= await h.workspace();
  const apiId = await h.recoverableApi(ws);
  const plainApiId = await h.createApi(ws, "plain");
  const outsideApiId = await h.createApi(ws, "outside");
  for (const externalId of ["alice", "bob"]) expect((await h.post("/v2/identities.createIdentity", { externalId }, ws.rootKey)).status).toBe(200);
  const recoverable = await h.createKey(ws, apiId, { ownerId: "alice", recoverable: true, name: "alice-recoverable" });
  const plain = await h.createKey(ws, plainApiId, { ownerId: "alice", name: "alice-plain" });
  const outside = await h.createKey(ws, outsideApiId, { ownerId: "alice", name: "alice-outside" });
  const bob = await h.createKey(ws, apiId, { ownerId: "bob", recoverable: true });
  const created = await h.post("/v2/portal.createPortal", { name: "Acme portal", apiIds: [apiId, plainApiId] }, ws.rootKey);
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return { ws, apiId, plainApiId, outsideApiId, portalId: created.body.data.portalId, alice: { recoverable, plain, outside }, bob };
}

/** A session for `externalId` in `portalId` with `scopes`, minted with `rootKey`: its code. */
export async function mintCode(h: Harness, rootKey: string, portalId: string, externalId: string, scopes: string[] = ALL_SCOPES): Promise<string> {
  const res = await h.post("/v2/portal.createSession", { portal: portalId, externalId, scopes }, rootKey);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data.code;
}

/** A session's access token, minted and exchanged. */
export async function sessionToken(h: Harness, rootKey: string, portalId: string, externalId: string, scopes: string[] = ALL_SCOPES): Promise<string> {
  const code = await mintCode(h, rootKey, portalId, externalId, scopes);
  const res = await h.post("/v2/portal.exchangeCode", { code });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data.accessToken;
}

/** A portal call with the access token as a bearer. */
export function portalCall(h: Harness, operation: string, body: unknown, token: string): Promise<Response> {
  return h.post(`/v2/portal.${operation}`, body, token);
}

/** The same body with the request id taken out: what "byte-identical" compares. */
export function withoutRequestId(res: Response): string {
  return JSON.stringify({ status: res.status, body: { ...res.body, meta: undefined } });
}
