import { and, eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { activities } from "../../src/db/schema.ts";
import { forEachDatabase } from "../harness.ts";
import { expectErrorEnvelope } from "../security/envelope.ts";
import { portalCall, sessionToken } from "./fixtures.ts";

/** portal.* configuration, v1 and v2 from one definition; each change is an activity. */
forEachDatabase("portal configuration", (h) => {
  test("create, read, list, update, delete in both envelopes; every change is a recorded activity", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const otherApiId = await h().createApi(ws);
    const created = await h().post("/v1/portal.createPortal", { name: "Acme", apiIds: [apiId], returnUrl: "https://acme.example/account", branding: { accentColor: "#3355ff", logoUrl: "/logo.svg" } }, ws.rootKey);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const { portalId } = created.body;
    expect(portalId).toMatch(/^ptl_/);
    const v1 = await h().get("/v1/portal.getPortal", { portalId }, ws.rootKey);
    expect(v1.body).toMatchObject({ portalId, name: "Acme", apiIds: [apiId], returnUrl: "https://acme.example/account", branding: { accentColor: "#3355ff", logoUrl: "/logo.svg" } });
    const v2 = await h().post("/v2/portal.getPortal", { portalId }, ws.rootKey);
    expect(v2.body.data).toEqual(v1.body);

    expect((await h().post("/v2/portal.updatePortal", { portalId, name: "Acme 2", apiIds: [otherApiId, apiId], returnUrl: null, branding: null }, ws.rootKey)).status).toBe(200);
    const updated = (await h().post("/v2/portal.getPortal", { portalId }, ws.rootKey)).body.data;
    expect(updated).toMatchObject({ name: "Acme 2", apiIds: [apiId, otherApiId].sort() });
    expect(updated.returnUrl).toBeUndefined();
    expect(updated.branding).toBeUndefined();

    const second = (await h().post("/v2/portal.createPortal", { name: "Second", apiIds: [apiId] }, ws.rootKey)).body.data.portalId;
    const page = await h().post("/v2/portal.listPortals", { limit: 1 }, ws.rootKey);
    expect(page.body.data.map((p: { portalId: string }) => p.portalId)).toEqual([portalId]);
    expect(page.body.pagination).toMatchObject({ hasMore: true });
    const rest = await h().get("/v1/portal.listPortals", { cursor: page.body.pagination.cursor }, ws.rootKey);
    expect(rest.body.portals.map((p: { portalId: string }) => p.portalId)).toEqual([second]);
    // A root key with one portal's read permission reads that one only, and lists none (listing is workspace-wide).
    const reader = await h().rootKey(ws, [`portal.${second}.read_portal`]);
    expect((await h().post("/v2/portal.getPortal", { portalId: second }, reader.key)).status).toBe(200);
    expectErrorEnvelope(await h().post("/v2/portal.getPortal", { portalId }, reader.key), "INSUFFICIENT_PERMISSIONS");
    expectErrorEnvelope(await h().post("/v2/portal.listPortals", {}, reader.key), "INSUFFICIENT_PERMISSIONS");

    expect((await h().post("/v1/portal.deletePortal", { portalId }, ws.rootKey)).status).toBe(200);
    expectErrorEnvelope(await h().post("/v2/portal.getPortal", { portalId }, ws.rootKey), "NOT_FOUND");
    expectErrorEnvelope(await h().post("/v2/portal.deletePortal", { portalId }, ws.rootKey), "NOT_FOUND");

    const recorded = await h().db.select({ type: activities.type, status: activities.status }).from(activities).where(and(eq(activities.workspaceId, ws.workspaceId)));
    const types = recorded.filter((a) => a.type.endsWith("_PORTAL"));
    expect(types).toEqual([
      { type: "CREATE_PORTAL", status: "COMPLETED" },
      { type: "UPDATE_PORTAL", status: "COMPLETED" },
      { type: "CREATE_PORTAL", status: "COMPLETED" },
      { type: "DELETE_PORTAL", status: "COMPLETED" },
      { type: "DELETE_PORTAL", status: "FAILED" },
    ]);
  });

  test("an API that is not the workspace's is a 404 like a missing one; bad branding and URLs are 400s", async () => {
    const ws = await h().workspace();
    const other = await h().workspace();
    const apiId = await h().createApi(ws);
    const foreign = await h().createApi(other);
    const create = (body: Record<string, unknown>) => h().post("/v2/portal.createPortal", { name: "p", apiIds: [apiId], ...body }, ws.rootKey);
    const missing = await create({ apiIds: [apiId, "api_1Ghu6Y4bN7qKcVwQfZ2Rt8"] });
    expectErrorEnvelope(missing, "NOT_FOUND");
    const res = await create({ apiIds: [apiId, foreign] });
    expect({ ...res.body, meta: undefined }).toEqual({ ...missing.body, meta: undefined });
    for (const bad of [
      { branding: { logoUrl: "https://cdn.example/logo.png" } },
      { branding: { logoUrl: "//cdn.example/logo.png" } },
      { branding: { logoUrl: "data:text/html;base64,PHNjcmlwdD4=" } },
      { branding: { accentColor: "red; background: url(x)" } },
      { branding: { extra: 1 } },
      { returnUrl: "javascript:alert(1)" },
      { apiIds: [] },
      { name: "" },
    ]) expectErrorEnvelope(await create(bad), "BAD_REQUEST", JSON.stringify(bad));
    expect((await create({ branding: { logoUrl: "data:image/png;base64,iVBORw0KGgo=" } })).status).toBe(200);
    expectErrorEnvelope(await h().post("/v2/portal.updatePortal", { portalId: "ptl_1Ghu6Y4bN7qKcVwQfZ2Rt8", name: "x" }, ws.rootKey), "NOT_FOUND");
  });

  test("a portal's APIs are what its sessions see, as the portal is now", async () => {
    const ws = await h().workspace();
    const first = await h().createApi(ws);
    const second = await h().createApi(ws);
    expect((await h().post("/v2/identities.createIdentity", { externalId: "carol" }, ws.rootKey)).status).toBe(200);
    const a = await h().createKey(ws, first, { ownerId: "carol" });
    const b = await h().createKey(ws, second, { ownerId: "carol" });
    const portalId = (await h().post("/v2/portal.createPortal", { name: "p", apiIds: [first] }, ws.rootKey)).body.data.portalId;
    const token = await sessionToken(h(), ws.rootKey, portalId, "carol", ["keys:read"]);
    const ids = async () => (await portalCall(h(), "listKeys", {}, token)).body.data.map((k: { keyId: string }) => k.keyId).sort();
    expect(await ids()).toEqual([a.keyId]);
    expect((await h().post("/v2/portal.updatePortal", { portalId, apiIds: [second] }, ws.rootKey)).status).toBe(200);
    expect(await ids()).toEqual([b.keyId]);
  });
});
