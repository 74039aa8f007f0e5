import { Unkey, and } from "@unkey/api";
import { beforeAll, expect, test } from "vitest";
import { derivedId } from "../../src/ids.ts";
import { type Workspace, forEachDatabase } from "../harness.ts";
import { useListener, v1Sdk } from "../listen.ts";

/** Roles and permissions as workspace entities through Unkey's v1 SDK (0.38.0), on the same data as v2. */
forEachDatabase("rbac: v1 permissions.* through @unkey/api 0.38.0", (h) => {
  const url = useListener(h);
  let ws: Workspace;
  let unkey: Unkey;
  let baseUrl: string;

  beforeAll(async () => {
    baseUrl = url();
    ws = await h().workspace();
    unkey = v1Sdk(baseUrl, ws.rootKey);
  });

  test("createPermission (slug = name unless given) / getPermission / listPermissions / deletePermission; a taken name is a 409", async () => {
    const created = await unkey.permissions.createPermission({ name: "reports.read", description: "reads reports" });
    expect(created.error).toBeUndefined();
    const permissionId = created.result!.permissionId;
    expect(permissionId).toBe(derivedId("perm", ws.workspaceId, "reports.read"));
    const got = await unkey.permissions.getPermission({ permissionId });
    expect(got.result).toEqual({ id: permissionId, name: "reports.read", slug: "reports.read", description: "reads reports" });
    const again = await unkey.permissions.createPermission({ name: "reports.read" });
    expect(again.error).toMatchObject({ code: "CONFLICT" });

    const withSlug = await unkey.permissions.createPermission({ name: "Write reports", slug: "reports.write" });
    const listed = await unkey.permissions.listPermissions();
    expect(listed.result!.map((p) => p.slug).sort()).toEqual(["reports.read", "reports.write"]);

    expect((await unkey.permissions.deletePermission({ permissionId: withSlug.result!.permissionId })).error).toBeUndefined();
    expect((await unkey.permissions.getPermission({ permissionId: withSlug.result!.permissionId })).error).toMatchObject({ code: "NOT_FOUND" });
    expect((await unkey.permissions.deletePermission({ permissionId: withSlug.result!.permissionId })).error).toMatchObject({ code: "NOT_FOUND" });
  });

  test("createRole / getRole / listRoles / deleteRole; roles made in v1 carry permissions set through v2, and v1 verify's query tree sees them", async () => {
    const created = await unkey.permissions.createRole({ name: "auditor", description: "reads everything" });
    expect(created.error).toBeUndefined();
    const roleId = created.result!.roleId;
    expect((await unkey.permissions.getRole({ roleId })).result).toEqual({ id: roleId, name: "auditor", description: "reads everything" });
    expect((await unkey.permissions.listRoles()).result).toContainEqual({ id: roleId, name: "auditor", description: "reads everything" });
    expect((await unkey.permissions.createRole({ name: "auditor" })).error).toMatchObject({ code: "CONFLICT" });

    const set = await h().post("/v2/permissions.setRolePermissions", { roleId, permissions: ["audit.read", "audit.export"] }, ws.rootKey);
    expect(set.status).toBe(200);
    const api = await unkey.apis.create({ name: "v1-rbac" });
    const key = (await unkey.keys.create({ apiId: api.result!.apiId, roles: ["auditor"], permissions: ["audit.note"] })).result!;
    const verified = await unkey.keys.verify({ key: key.key, authorization: { permissions: and("audit.read", "audit.note") } });
    expect(verified.result).toMatchObject({ valid: true, code: "VALID" });
    expect(verified.result!.permissions?.sort()).toEqual(["audit.export", "audit.note", "audit.read"]);

    expect((await unkey.permissions.deleteRole({ roleId })).error).toBeUndefined();
    expect((await unkey.permissions.getRole({ roleId })).error).toMatchObject({ code: "NOT_FOUND" });
    const after = await unkey.keys.verify({ key: key.key, authorization: { permissions: "audit.read" } });
    expect(after.result).toMatchObject({ valid: false, code: "INSUFFICIENT_PERMISSIONS" });
    expect((await unkey.keys.get({ keyId: key.keyId })).result).toMatchObject({ roles: [], permissions: ["audit.note"] });
  });

  test("keys.addPermissions / removePermissions / setPermissions / addRoles / removeRoles / setRoles by {id}, {name}, create: true", async () => {
    const api = await unkey.apis.create({ name: "v1-edits" });
    const { keyId, key } = (await unkey.keys.create({ apiId: api.result!.apiId })).result!;
    const perm = (slug: string) => ({ id: derivedId("perm", ws.workspaceId, slug), name: slug });
    const role = (name: string) => ({ id: derivedId("role", ws.workspaceId, name), name });
    await unkey.permissions.createPermission({ name: "edit.read" });

    const added = await unkey.keys.addPermissions({ keyId, permissions: [{ name: "edit.read" }, { name: "edit.write", create: true }] });
    expect(added.error).toBeUndefined();
    expect(added.result).toEqual([perm("edit.read"), perm("edit.write")]);
    // A name the workspace lacks, with create: false, is a 404; an unknown id too; nothing changes.
    expect((await unkey.keys.addPermissions({ keyId, permissions: [{ name: "edit.nope", create: false }] })).error).toMatchObject({ code: "NOT_FOUND" });
    expect((await unkey.keys.addPermissions({ keyId, permissions: [{ id: "perm_nope" }] })).error).toMatchObject({ code: "NOT_FOUND" });
    expect((await unkey.permissions.getPermission({ permissionId: "edit.nope" })).error).toMatchObject({ code: "NOT_FOUND" });
    expect((await unkey.keys.removePermissions({ keyId, permissions: [{ id: perm("edit.write").id }] })).error).toBeUndefined();
    const set = await unkey.keys.setPermissions({ keyId, permissions: [{ id: perm("edit.read").id }, { slug: "edit.admin", create: true }] });
    expect(set.result).toEqual([perm("edit.admin"), perm("edit.read")]);

    expect((await unkey.keys.addRoles({ keyId, roles: [{ name: "editor-v1", create: true }] })).result).toEqual([role("editor-v1")]);
    expect((await unkey.keys.setRoles({ keyId, roles: [{ name: "viewer-v1", create: true }, { id: role("editor-v1").id }] })).result).toEqual([role("editor-v1"), role("viewer-v1")]);
    expect((await unkey.keys.removeRoles({ keyId, roles: [{ name: "viewer-v1" }] })).error).toBeUndefined();
    expect((await unkey.keys.get({ keyId })).result).toMatchObject({ permissions: ["edit.admin", "edit.read"], roles: ["editor-v1"] });

    // Through the role: the key verifies with what the role grants (set through v2).
    await h().post("/v2/permissions.setRolePermissions", { roleId: "editor-v1", permissions: ["edit.publish"] }, ws.rootKey);
    const verified = await unkey.keys.verify({ key, authorization: { permissions: and("edit.publish", "edit.read") } });
    expect(verified.result).toMatchObject({ valid: true, code: "VALID" });

    // create: true needs rbac.*.create_permission; a root key with update_key alone is refused.
    const weak = v1Sdk(baseUrl, (await h().rootKey(ws, ["api.*.update_key"])).key);
    const refused = await weak.keys.addPermissions({ keyId, permissions: [{ name: "edit.other", create: true }] });
    expect(refused.error).toMatchObject({ code: "INSUFFICIENT_PERMISSIONS" });
    expect(refused.error!.message).toContain("rbac.*.create_permission");
    expect((await weak.keys.addPermissions({ keyId, permissions: [{ name: "edit.write" }] })).error).toBeUndefined();
  });

  test("v1 lists page with limit and cursor beyond Unkey's parameters", async () => {
    const fresh = await h().workspace();
    for (const slug of ["p1", "p2", "p3"]) expect((await h().post("/v1/permissions.createPermission", { name: slug }, fresh.rootKey)).status).toBe(200);
    const first = await h().get("/v1/permissions.listPermissions", { limit: "2" }, fresh.rootKey);
    expect(first.body).toHaveLength(2);
    const rest = await h().get("/v1/permissions.listPermissions", { limit: "2", cursor: first.body[1].id }, fresh.rootKey);
    expect([...first.body, ...rest.body].map((p: { slug: string }) => p.slug).sort()).toEqual(["p1", "p2", "p3"]);
  });
});
