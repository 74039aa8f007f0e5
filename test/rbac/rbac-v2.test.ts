import { sql } from "drizzle-orm";
import { expect, test } from "vitest";
import * as errors from "unkey-api-v2/models/errors";
import { executeRows } from "../../src/db/execute-rows.ts";
import { derivedId } from "../../src/ids.ts";
import { forEachDatabase } from "../harness.ts";
import { useV2Sdk } from "../v2/sdk-context.ts";

/** The error a call throws, with the SDK's class name and v2's `error` object (failing the test if it resolves). */
async function errorOf(call: Promise<unknown>) {
  const outcome = await call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(errors.UnkeyError);
  const e = outcome.error as Error & { data$?: { error: { status: number; detail: string } } };
  return { kind: e.constructor.name, status: e.data$?.error.status, detail: e.data$?.error.detail ?? "" };
}

/** Roles and permissions as workspace entities through Unkey's v2 SDK (2.5.1, response validation on). */
forEachDatabase("rbac: v2 permissions.* through @unkey/api 2.5.1", (h) => {
  const v2 = useV2Sdk(h);

  test("createPermission / getPermission (by id and slug) / listPermissions (pages, search) / deletePermission; a taken slug is a 409", async () => {
    const { unkey, ws } = v2();
    const created = await unkey.permissions.createPermission({ name: "Read documents", slug: "docs.read", description: "reads docs" });
    // The id v2 answered for this slug on keys before permissions were stored.
    expect(created.data.permissionId).toBe(derivedId("perm", ws.workspaceId, "docs.read"));
    const bySlug = await unkey.permissions.getPermission({ permission: "docs.read" });
    const byId = await unkey.permissions.getPermission({ permission: created.data.permissionId });
    expect(bySlug.data).toEqual({ id: created.data.permissionId, name: "Read documents", slug: "docs.read", description: "reads docs" });
    expect(byId.data).toEqual(bySlug.data);

    expect(await errorOf(unkey.permissions.createPermission({ name: "again", slug: "docs.read" }))).toMatchObject({ status: 409 });
    for (const slug of ["docs.write", "billing.read", "billing.write"]) await unkey.permissions.createPermission({ name: slug, slug });

    const seen: string[] = [];
    let pages = 0;
    for await (const page of await unkey.permissions.listPermissions({ limit: 3 })) {
      seen.push(...page.result.data.map((p) => p.slug));
      pages++;
      if (pages > 5) throw new Error("paging does not end");
    }
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual(["billing.read", "billing.write", "docs.read", "docs.write"]);
    const searched = await unkey.permissions.listPermissions({ search: "BILLING" });
    expect(searched.result.data.map((p) => p.slug).sort()).toEqual(["billing.read", "billing.write"]);

    await unkey.permissions.deletePermission({ permission: "docs.write" });
    expect(await errorOf(unkey.permissions.getPermission({ permission: "docs.write" }))).toMatchObject({ kind: "NotFoundErrorResponse", status: 404 });
    expect(await errorOf(unkey.permissions.deletePermission({ permission: "docs.write" }))).toMatchObject({ status: 404 });
  });

  test("createRole with permissions (a new slug is created), getRole, listRoles, setRolePermissions; a taken name is a 409", async () => {
    const { unkey, ws } = v2();
    await unkey.permissions.createPermission({ name: "Read DNS", slug: "dns.read" });
    const { data } = await unkey.permissions.createRole({ name: "dns-admin", description: "manages dns", permissions: ["dns.read", "dns.write"] });
    expect(data.roleId).toBe(derivedId("role", ws.workspaceId, "dns-admin"));
    const role = await unkey.permissions.getRole({ role: "dns-admin" });
    expect(role.data).toMatchObject({ id: data.roleId, name: "dns-admin", description: "manages dns" });
    expect(role.data.permissions!.map((p) => [p.slug, p.name])).toEqual([
      ["dns.read", "Read DNS"],
      ["dns.write", "dns.write"], // created on first use: name = slug
    ]);
    expect((await unkey.permissions.getRole({ role: data.roleId })).data).toEqual(role.data);
    expect(await errorOf(unkey.permissions.createRole({ name: "dns-admin" }))).toMatchObject({ status: 409 });

    const set = await unkey.permissions.setRolePermissions({ roleId: data.roleId, permissions: ["dns.write", "dns.delete"] });
    expect(set.data.map((p) => p.slug)).toEqual(["dns.delete", "dns.write"]);
    const roles = await unkey.permissions.listRoles({});
    expect(roles.result.data.find((r) => r.id === data.roleId)?.permissions?.map((p) => p.slug)).toEqual(["dns.delete", "dns.write"]);
    expect((await unkey.permissions.setRolePermissions({ roleId: "dns-admin", permissions: [] })).data).toEqual([]);
    expect(await errorOf(unkey.permissions.setRolePermissions({ roleId: "no-such-role", permissions: [] }))).toMatchObject({ status: 404 });
  });

  test("a key's effective permissions are its own plus its roles': verify's query sees them and lists them, getKey lists the key's own", async () => {
    const { unkey } = v2();
    const apiId = await h().createApi(v2().ws);
    await unkey.permissions.createRole({ name: "reader", permissions: ["files.read", "files.list"] });
    const { data: key } = await unkey.keys.createKey({ apiId, permissions: ["files.write"], roles: ["reader"] });
    const verify = (permissions: string) => unkey.keys.verifyKey({ key: key.key, permissions });
    const both = await verify("files.read AND files.write");
    expect(both.data).toMatchObject({ valid: true, code: "VALID", roles: ["reader"] });
    expect(both.data.permissions).toEqual(["files.list", "files.read", "files.write"]);
    expect((await verify("files.delete OR files.list")).data.code).toBe("VALID");
    expect((await verify("files.delete")).data.code).toBe("INSUFFICIENT_PERMISSIONS");
    const got = await unkey.keys.getKey({ keyId: key.keyId });
    expect(got.data).toMatchObject({ permissions: ["files.write"], roles: ["reader"] });

    // The role loses a permission: the very next verify (no cache in this suite) refuses it.
    await unkey.permissions.setRolePermissions({ roleId: "reader", permissions: ["files.list"] });
    expect((await verify("files.read")).data.code).toBe("INSUFFICIENT_PERMISSIONS");
    expect((await verify("files.list")).data.code).toBe("VALID");
  });

  test("deleting a permission in use removes it from every key and role at once; deleting a role removes it from every key", async () => {
    const { unkey, ws } = v2();
    const apiId = await h().createApi(ws);
    await unkey.permissions.createRole({ name: "ops", permissions: ["deploy", "restart"] });
    const a = (await unkey.keys.createKey({ apiId, permissions: ["deploy", "logs"], roles: ["ops"] })).data;
    const b = (await unkey.keys.createKey({ apiId, permissions: ["deploy"] })).data;

    await unkey.permissions.deletePermission({ permission: "deploy" });
    expect((await unkey.keys.getKey({ keyId: a.keyId })).data.permissions).toEqual(["logs"]);
    expect((await unkey.keys.getKey({ keyId: b.keyId })).data.permissions).toEqual([]);
    expect((await unkey.permissions.getRole({ role: "ops" })).data.permissions!.map((p) => p.slug)).toEqual(["restart"]);
    expect((await unkey.keys.verifyKey({ key: a.key, permissions: "deploy" })).data.code).toBe("INSUFFICIENT_PERMISSIONS");
    expect((await unkey.keys.verifyKey({ key: a.key, permissions: "restart" })).data.code).toBe("VALID");

    await unkey.permissions.deleteRole({ role: "ops" });
    expect((await unkey.keys.getKey({ keyId: a.keyId })).data.roles).toEqual([]);
    expect((await unkey.keys.verifyKey({ key: a.key, permissions: "restart" })).data.code).toBe("INSUFFICIENT_PERMISSIONS");
    const left = await executeRows(h().db, sql`select count(*)::int as n from role_permissions where role_id = ${derivedId("role", ws.workspaceId, "ops")}`);
    expect(left).toEqual([{ n: 0 }]);
  });

  test("names new to the workspace: created with rbac.*.create_permission / create_role, refused (403, nothing written) without", async () => {
    const { unkey, ws, sdk } = v2();
    const apiId = await h().createApi(ws);
    await unkey.permissions.createPermission({ name: "known", slug: "known.perm" });
    await unkey.permissions.createRole({ name: "known-role" });
    const plain = sdk((await h().rootKey(ws, ["api.*.create_key", "api.*.update_key"])).key);
    const before = await h().snapshot();
    const refusedPermission = await errorOf(plain.keys.createKey({ apiId, permissions: ["known.perm", "brand.new"] }));
    expect(refusedPermission).toMatchObject({ status: 403 });
    expect(refusedPermission.detail).toContain("rbac.*.create_permission");
    const refusedRole = await errorOf(plain.keys.createKey({ apiId, roles: ["known-role", "new-role"] }));
    expect(refusedRole).toMatchObject({ status: 403 });
    expect(refusedRole.detail).toContain("rbac.*.create_role");
    expect(await h().snapshot()).toEqual(before);

    // Existing names need nothing more than the operation's own permission.
    const { data: key } = await plain.keys.createKey({ apiId, permissions: ["known.perm"], roles: ["known-role"] });
    expect((await errorOf(plain.keys.addPermissions({ keyId: key.keyId, permissions: ["other.new"] }))).status).toBe(403);
    expect((await errorOf(plain.keys.setRoles({ keyId: key.keyId, roles: ["other-role"] }))).status).toBe(403);

    const creator = sdk((await h().rootKey(ws, ["api.*.update_key", "rbac.*.create_permission", "rbac.*.create_role"])).key);
    const added = await creator.keys.addPermissions({ keyId: key.keyId, permissions: ["other.new"] });
    expect(added.data.map((p) => p.id)).toEqual([derivedId("perm", ws.workspaceId, "known.perm"), derivedId("perm", ws.workspaceId, "other.new")]);
    expect((await creator.keys.setRoles({ keyId: key.keyId, roles: ["other-role"] })).data).toEqual([{ id: derivedId("role", ws.workspaceId, "other-role"), name: "other-role" }]);
    expect((await unkey.permissions.getPermission({ permission: "other.new" })).data).toMatchObject({ name: "other.new", slug: "other.new" });
  });

  test("a key's permission list in the edits shows the permission's name and description", async () => {
    const { unkey, ws } = v2();
    const apiId = await h().createApi(ws);
    await unkey.permissions.createPermission({ name: "Send mail", slug: "mail.send", description: "outbound" });
    const { data: key } = await unkey.keys.createKey({ apiId });
    const added = await unkey.keys.addPermissions({ keyId: key.keyId, permissions: ["mail.send"] });
    expect(added.data).toEqual([{ id: derivedId("perm", ws.workspaceId, "mail.send"), name: "Send mail", slug: "mail.send", description: "outbound" }]);
  });

  test("rbac routes need their root-key permissions (403 naming them)", async () => {
    const { ws, sdk } = v2();
    const weak = sdk((await h().rootKey(ws, ["api.*.read_key"])).key);
    for (const [call, permission] of [
      [() => weak.permissions.createPermission({ name: "x", slug: "x" }), "rbac.*.create_permission"],
      [() => weak.permissions.listPermissions({}), "rbac.*.read_permission"],
      [() => weak.permissions.deletePermission({ permission: "x" }), "rbac.*.delete_permission"],
      [() => weak.permissions.createRole({ name: "x" }), "rbac.*.create_role"],
      [() => weak.permissions.listRoles({}), "rbac.*.read_role"],
      [() => weak.permissions.deleteRole({ role: "x" }), "rbac.*.delete_role"],
      [() => weak.permissions.setRolePermissions({ roleId: "x", permissions: [] }), "rbac.*.add_permission_to_role"],
    ] as const) {
      const e = await errorOf(call());
      expect(e, permission).toMatchObject({ status: 403 });
      expect(e.detail, permission).toContain(permission);
    }
  });
});
