import { sql } from "drizzle-orm";
import { expect, test } from "vitest";
import { type Harness, type Workspace, forEachDatabase, onTwoInstances } from "../harness.ts";

/**
 * A change to a role (its permissions, its deletion) or a permission's deletion reaches every
 * key holding it at once: verify caches must not serve the old set. Each instance forgets on
 * its own writes (forget-changed.ts) and hears the others' through the role_permissions and
 * key_roles triggers (drizzle/0005, 0001).
 */

/** v1's verify: `permissions` is one permission name or a v1 query tree. */
const code = async (h: Harness, key: string, permissions: string | object) => (await h.verify(key, { authorization: { permissions } })).body.code as string;

/** Polls until every instance answers `want` (at most `withinMs`); returns how long it took. */
async function seenBy(instances: Harness[], key: string, permissions: string | object, want: string, withinMs = 1000): Promise<number> {
  const start = performance.now();
  for (;;) {
    const codes = await Promise.all(instances.map((h) => code(h, key, permissions)));
    if (codes.every((c) => c === want)) return performance.now() - start;
    if (performance.now() - start > withinMs) throw new Error(`after ${withinMs} ms: ${codes.join(", ")} (want ${want} for ${JSON.stringify(permissions)})`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Waits until `listener` has handled every notice committed so far: notices arrive in commit
 * order, and a listener added now runs after the cache's own on the same connection.
 */
async function noticesSettled(listener: Harness, sender: Harness): Promise<void> {
  const token = `settled-${Math.random()}`;
  let seen!: () => void;
  const arrived = new Promise<void>((resolve) => (seen = resolve));
  const stop = await listener.handle.listen("keyhold_keys", (payload) => payload === token && seen(), () => {});
  await sender.db.execute(sql`select pg_notify('keyhold_keys', ${token})`);
  await arrived;
  await stop();
}

async function keyWithRole(h: Harness, ws: Workspace, role: string, granted: string[]): Promise<string> {
  expect((await h.post("/v2/permissions.createRole", { name: role, permissions: granted }, ws.rootKey)).status).toBe(200);
  const apiId = await h.createApi(ws);
  return (await h.createKey(ws, apiId, { roles: [role] })).key;
}

onTwoInstances(
  "rbac: role changes reach verify caches on two instances within 1 s",
  (a, b) => {
    test("setRolePermissions, deletePermission and deleteRole through instance A: both instances verify with the new set", async () => {
      const ws = await a().workspace();
      const key = await keyWithRole(a(), ws, "editor", ["doc.read"]);
      await noticesSettled(b(), a()); // the key's creation notice must not drop B's cache during the control below
      // Warm both caches, and show that they do serve from memory: a change made behind the
      // notices' back (triggers off for one transaction) is not seen by B.
      expect(await seenBy([a(), b()], key, "doc.read", "VALID")).toBeLessThan(1000);
      await b().db.transaction(async (tx) => {
        await tx.execute(sql`set local session_replication_role = replica`);
        await tx.execute(sql`insert into permissions (id, workspace_id, name, slug, created_at) values ('perm_hidden', ${ws.workspaceId}, 'doc.hidden', 'doc.hidden', 0)`);
        await tx.execute(sql`insert into role_permissions (role_id, permission_id) select id, 'perm_hidden' from roles where workspace_id = ${ws.workspaceId} and name = 'editor'`);
      });
      expect(await code(b(), key, "doc.hidden")).toBe("INSUFFICIENT_PERMISSIONS"); // cached: the control

      const set = await a().post("/v2/permissions.setRolePermissions", { roleId: "editor", permissions: ["doc.read", "doc.write"] }, ws.rootKey);
      expect(set.status).toBe(200);
      const tookSet = await seenBy([a(), b()], key, "doc.write", "VALID");
      expect(await code(b(), key, "doc.hidden")).toBe("INSUFFICIENT_PERMISSIONS"); // the set replaced it

      expect((await a().post("/v2/permissions.deletePermission", { permission: "doc.write" }, ws.rootKey)).status).toBe(200);
      const tookDeletePermission = await seenBy([a(), b()], key, "doc.write", "INSUFFICIENT_PERMISSIONS");
      expect(await code(b(), key, "doc.read")).toBe("VALID");

      expect((await a().post("/v2/permissions.deleteRole", { role: "editor" }, ws.rootKey)).status).toBe(200);
      const tookDeleteRole = await seenBy([a(), b()], key, "doc.read", "INSUFFICIENT_PERMISSIONS");
      const verified = await b().verify(key);
      expect(verified.body).toMatchObject({ code: "VALID", roles: [], permissions: [] });
      console.log(`[role-changes] seen by both instances after: setRolePermissions ${tookSet.toFixed(1)} ms, deletePermission ${tookDeletePermission.toFixed(1)} ms, deleteRole ${tookDeleteRole.toFixed(1)} ms`);
    });

    test("a change made through instance B reaches A too (v1 deletePermission of a permission a role grants)", async () => {
      const ws = await a().workspace();
      const key = await keyWithRole(a(), ws, "ops", ["svc.restart", "svc.logs"]);
      await seenBy([a(), b()], key, { and: ["svc.restart", "svc.logs"] }, "VALID");
      const id = (await b().get("/v1/permissions.getPermission", { permissionId: "svc.restart" }, ws.rootKey)).body.id;
      expect((await b().post("/v1/permissions.deletePermission", { permissionId: id }, ws.rootKey)).status).toBe(200);
      await seenBy([a(), b()], key, "svc.restart", "INSUFFICIENT_PERMISSIONS");
      expect(await code(a(), key, "svc.logs")).toBe("VALID");
    });
  },
  { cache: true },
);

forEachDatabase(
  "rbac: role changes and the verify cache of one instance",
  (h) => {
    test("the instance that changed a role verifies with the new set on its very next verify", async () => {
      const ws = await h().workspace();
      const key = await keyWithRole(h(), ws, "viewer", ["a.read"]);
      expect(await code(h(), key, "a.read")).toBe("VALID");
      expect(await code(h(), key, "a.read")).toBe("VALID"); // cached now
      expect((await h().post("/v2/permissions.setRolePermissions", { roleId: "viewer", permissions: ["a.list"] }, ws.rootKey)).status).toBe(200);
      expect(await code(h(), key, "a.read")).toBe("INSUFFICIENT_PERMISSIONS");
      expect(await code(h(), key, "a.list")).toBe("VALID");
      expect((await h().post("/v1/permissions.deleteRole", { roleId: "viewer" }, ws.rootKey)).status).toBe(200);
      expect(await code(h(), key, "a.list")).toBe("INSUFFICIENT_PERMISSIONS");
    });
  },
  { cache: true },
);
