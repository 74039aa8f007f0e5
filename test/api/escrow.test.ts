import { eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { escrowKeys, keys } from "../../src/db/schema.ts";
import { newId } from "../../src/ids.ts";
import { reencryptKeys } from "../../src/keys/reencrypt-keys.ts";
import { type Harness, type Workspace, forEachDatabase } from "../harness.ts";
import { openBundle, sealTo, targetKey } from "../jwe-target.ts";
import { expectErrorEnvelope } from "../security/envelope.ts";
import { expectError } from "./expect-error.ts";

/** Escrow keys through both versions: v1 reads are GETs with a query and v1's envelope, v2 is POST with `{meta, data}`. */
const versions = [
  {
    name: "v1",
    call: (h: Harness, action: string, input: Record<string, unknown>, token: string) =>
      ["getKey", "listKeys"].includes(action)
        ? h.get(`/v1/escrow.${action}`, Object.fromEntries(Object.entries(input).map(([k, v]) => [k, String(v)])), token)
        : h.post(`/v1/escrow.${action}`, input, token),
    data: (b: any) => b,
    list: (b: any) => ({ items: b.escrowKeys, cursor: b.cursor, hasMore: undefined as boolean | undefined }),
  },
  {
    name: "v2",
    call: (h: Harness, action: string, input: Record<string, unknown>, token: string) => h.post(`/v2/escrow.${action}`, input, token),
    data: (b: any) => b.data,
    list: (b: any) => ({ items: b.data, cursor: b.pagination.cursor, hasMore: b.pagination.hasMore }),
  },
] as const;
type Version = (typeof versions)[number];

async function createEscrowKey(h: Harness, v: Version, ws: Workspace, name = "backup") {
  const res = await v.call(h, "createKey", { name }, ws.rootKey);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return v.data(res.body) as { escrowKeyId: string; publicKey: { kty: string; crv: string; x: string; y: string } };
}

forEachDatabase(
  "escrow keys",
  (h) => {
    test.each(versions)("$name: data the caller encrypts to the escrow public key opens with the exported private key", async (v) => {
      const ws = await h().workspace();
      const { escrowKeyId, publicKey } = await createEscrowKey(h(), v, ws);
      expect(escrowKeyId).toMatch(/^esc_[1-9A-HJ-NP-Za-km-z]{22}$/);
      expect(Object.keys(publicKey).sort()).toEqual(["crv", "kty", "x", "y"]);
      expect(publicKey).toMatchObject({ kty: "EC", crv: "P-256" });

      // The caller's side: its data, sealed to the public key, kept wherever it likes. Keyhold never sees it.
      const secret = "recovery bundle: correct horse battery staple";
      const sealed = await sealTo(publicKey, secret);

      const target = await targetKey();
      const exported = await v.call(h(), "exportKey", { escrowKeyId, targetPublicKey: target.publicJwk }, ws.rootKey);
      expect(exported.status, JSON.stringify(exported.body)).toBe(200);
      const { exportBundle, ...rest } = v.data(exported.body);
      expect(rest).toEqual({ escrowKeyId });
      const privateJwk = JSON.parse(await openBundle(exportBundle, target.privateKey));
      expect(privateJwk).toEqual({ ...publicKey, d: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      expect(await openBundle(sealed, privateJwk)).toBe(secret);
      // Another target's private key opens neither the bundle nor (without the export) the data.
      await expect(openBundle(exportBundle, (await targetKey()).privateKey)).rejects.toThrow();
      // The private key is in no answer but the sealed bundle, and not in the API's row.
      const [row] = await h().db.select().from(escrowKeys).where(eq(escrowKeys.id, escrowKeyId));
      expect(JSON.stringify(row)).not.toContain(privateJwk.d);
      expect(JSON.stringify(exported.body)).not.toContain(privateJwk.d);
    });

    test.each(versions)("$name: create, get, list with a cursor, delete", async (v) => {
      const ws = await h().workspace();
      const made = [];
      for (const name of ["one", "two", "three"]) made.push({ ...(await createEscrowKey(h(), v, ws, name)), name });
      const got = await v.call(h(), "getKey", { escrowKeyId: made[1]!.escrowKeyId }, ws.rootKey);
      expect(got.status).toBe(200);
      expect(v.data(got.body)).toEqual({ escrowKeyId: made[1]!.escrowKeyId, name: "two", publicKey: made[1]!.publicKey, createdAt: expect.any(Number) });

      const first = v.list((await v.call(h(), "listKeys", { limit: 2 }, ws.rootKey)).body);
      expect(first.items.map((k: { name: string }) => k.name)).toEqual(["one", "two"]);
      expect(first.cursor).toBe(made[1]!.escrowKeyId);
      const second = v.list((await v.call(h(), "listKeys", { limit: 2, cursor: first.cursor }, ws.rootKey)).body);
      expect(second.items.map((k: { name: string }) => k.name)).toEqual(["three"]);
      expect(second.cursor).toBeUndefined();
      if (v.name === "v2") expect([first.hasMore, second.hasMore]).toEqual([true, false]);

      const deleted = await v.call(h(), "deleteKey", { escrowKeyId: made[0]!.escrowKeyId }, ws.rootKey);
      expect(deleted.status).toBe(200);
      expect(v.data(deleted.body)).toEqual({});
      const targetPublicKey = (await targetKey()).publicJwk;
      for (const [action, input] of [
        ["getKey", { escrowKeyId: made[0]!.escrowKeyId }],
        ["deleteKey", { escrowKeyId: made[0]!.escrowKeyId }],
        ["exportKey", { escrowKeyId: made[0]!.escrowKeyId, targetPublicKey }],
      ] as const) {
        expectErrorEnvelope(await v.call(h(), action, input, ws.rootKey), "NOT_FOUND", action);
      }
      const rest = v.list((await v.call(h(), "listKeys", {}, ws.rootKey)).body);
      expect(rest.items.map((k: { name: string }) => k.name)).toEqual(["two", "three"]);
    });

    test.each(versions)("$name: bad input is 400: no name, a name too long, a bad target, a bad limit", async (v) => {
      const ws = await h().workspace();
      const { escrowKeyId } = await createEscrowKey(h(), v, ws);
      const target = await targetKey();
      for (const [label, action, input] of [
        ["no name", "createKey", {}],
        ["a name too long", "createKey", { name: "n".repeat(256) }],
        ["a private target", "exportKey", { escrowKeyId, targetPublicKey: target.privateJwk }],
        ["an off-curve target", "exportKey", { escrowKeyId, targetPublicKey: { ...target.publicJwk, y: target.publicJwk.x } }],
        ["a limit of 0", "listKeys", { limit: 0 }],
        ["no escrowKeyId", "getKey", {}],
      ] as const) {
        expectErrorEnvelope(await v.call(h(), action, input, ws.rootKey), "BAD_REQUEST", label);
      }
    });

    test.each(versions)("$name: each operation needs its own escrow.* permission", async (v) => {
      const ws = await h().workspace();
      const { escrowKeyId } = await createEscrowKey(h(), v, ws);
      const targetPublicKey = (await targetKey()).publicJwk;
      const operations = [
        ["createKey", { name: "n" }, "escrow.*.create_key"],
        ["getKey", { escrowKeyId }, "escrow.*.read_key"],
        ["listKeys", {}, "escrow.*.read_key"],
        ["exportKey", { escrowKeyId, targetPublicKey }, "escrow.*.export_key"],
        ["deleteKey", { escrowKeyId }, "escrow.*.delete_key"],
      ] as const;
      const everythingElse = ["escrow.*.create_key", "escrow.*.read_key", "escrow.*.export_key", "escrow.*.delete_key", "api.*.export_key", "api.*.decrypt_key"];
      for (const [action, input, permission] of operations) {
        const without = await h().rootKey(ws, everythingElse.filter((p) => p !== permission));
        const res = await v.call(h(), action, input, without.key);
        expectErrorEnvelope(res, "INSUFFICIENT_PERMISSIONS", action);
        expect(JSON.stringify(res.body), action).toContain(permission);
      }
      for (const [action, input, permission] of operations) {
        const holder = await h().rootKey(ws, [permission]);
        expect((await v.call(h(), action, input, holder.key)).status, action).toBe(200);
      }
    });

    test.each(versions)("$name: escrow.<id>.<action> covers that escrow key only", async (v) => {
      const ws = await h().workspace();
      const mine = await createEscrowKey(h(), v, ws, "mine");
      const other = await createEscrowKey(h(), v, ws, "other");
      const target = await targetKey();
      for (const [action, permission] of [["getKey", "read_key"], ["exportKey", "export_key"], ["deleteKey", "delete_key"]] as const) {
        const holder = await h().rootKey(ws, [`escrow.${mine.escrowKeyId}.${permission}`]);
        const input = (escrowKeyId: string) => ({ escrowKeyId, ...(action === "exportKey" && { targetPublicKey: target.publicJwk }) });
        const refused = await v.call(h(), action, input(other.escrowKeyId), holder.key);
        expectErrorEnvelope(refused, "INSUFFICIENT_PERMISSIONS", action);
        expect(JSON.stringify(refused.body)).toContain(`escrow.*.${permission}`);
        const allowed = await v.call(h(), action, input(mine.escrowKeyId), holder.key);
        expect(allowed.status, action).toBe(200);
        if (action === "exportKey") expect(JSON.parse(await openBundle(v.data(allowed.body).exportBundle, target.privateKey))).toMatchObject(mine.publicKey);
      }
      // Listing and creating stay workspace-wide.
      const perKey = await h().rootKey(ws, [`escrow.${mine.escrowKeyId}.read_key`]);
      expectErrorEnvelope(await v.call(h(), "listKeys", {}, perKey.key), "INSUFFICIENT_PERMISSIONS");
    });

    test.each(versions)("$name: another workspace's escrow key answers like a missing one, and lists hold only one's own", async (v) => {
      const a = await h().workspace();
      const b = await h().workspace();
      const { escrowKeyId } = await createEscrowKey(h(), v, a);
      const mine = await createEscrowKey(h(), v, b);
      const targetPublicKey = (await targetKey()).publicJwk;
      for (const [action, input] of [
        ["getKey", (id: string) => ({ escrowKeyId: id })],
        ["exportKey", (id: string) => ({ escrowKeyId: id, targetPublicKey })],
        ["deleteKey", (id: string) => ({ escrowKeyId: id })],
      ] as const) {
        const foreign = await v.call(h(), action, input(escrowKeyId), b.rootKey);
        const missing = await v.call(h(), action, input(newId("esc")), b.rootKey);
        expectErrorEnvelope(foreign, "NOT_FOUND", action);
        expect(foreign.status).toBe(missing.status);
        expect(v.name === "v1" ? foreign.body.error.message : foreign.body.error.detail).toBe(v.name === "v1" ? missing.body.error.message : missing.body.error.detail);
      }
      const listed = v.list((await v.call(h(), "listKeys", {}, b.rootKey)).body);
      expect(listed.items.map((k: { escrowKeyId: string }) => k.escrowKeyId)).toEqual([mine.escrowKeyId]);
      expect((await v.call(h(), "getKey", { escrowKeyId }, a.rootKey)).status).toBe(200); // A's untouched
    });

    test("re-encryption moves sealed private keys onto the current DEK, which counts them: a DEK protecting one is never 'safe to retire'", async () => {
      const ws = await h().workspace();
      const tv = h().testVault!;
      const made = await createEscrowKey(h(), versions[1], ws);
      const firstDek = (await tv.client.describeKeyring(ws.workspaceId))!.primary;
      const before = await reencryptKeys(h().db, tv.client, { workspaceId: ws.workspaceId });
      expect(before).toEqual({ moved: 0, perDek: { [firstDek]: 1 }, unreferencedDeks: [] });
      const second = await tv.vault.keyrings.createDek(ws.workspaceId);
      const report = await reencryptKeys(h().db, tv.client, { workspaceId: ws.workspaceId });
      expect(report).toEqual({ moved: 1, perDek: { [second]: 1 }, unreferencedDeks: [firstDek] });
      const [row] = await h().db.select().from(escrowKeys).where(eq(escrowKeys.id, made.escrowKeyId));
      expect(row!.encrypted.split(".")[1]).toBe(second);
      expect((await reencryptKeys(h().db, tv.client, { workspaceId: ws.workspaceId })).moved).toBe(0);
      // Still the same key pair, still only as a key pair.
      const target = await targetKey();
      const exported = await h().post("/v2/escrow.exportKey", { escrowKeyId: made.escrowKeyId, targetPublicKey: target.publicJwk }, ws.rootKey);
      expect(JSON.parse(await openBundle(exported.body.data.exportBundle, target.privateKey))).toMatchObject(made.publicKey);
      await expect(tv.client.decrypt({ keyring: ws.workspaceId, encrypted: row!.encrypted, context: made.escrowKeyId })).rejects.toThrow(/could not be decrypted/);
    });

    test("the vault's decrypt refuses an escrow ciphertext: the private key reaches the API only sealed", async () => {
      const ws = await h().workspace();
      const { escrowKeyId } = await createEscrowKey(h(), versions[1], ws);
      const [row] = await h().db.select().from(escrowKeys).where(eq(escrowKeys.id, escrowKeyId));
      const vault = h().testVault!.client;
      await expect(vault.decrypt({ keyring: ws.workspaceId, encrypted: row!.encrypted, context: escrowKeyId })).rejects.toThrow(/could not be decrypted/);
      await expect(vault.decryptMany({ keyring: ws.workspaceId, items: [{ encrypted: row!.encrypted, context: escrowKeyId }] })).rejects.toThrow(/could not be decrypted/);
      await expect(vault.reEncrypt({ keyring: ws.workspaceId, encrypted: row!.encrypted, context: escrowKeyId })).rejects.toThrow(/could not be decrypted/);
      // Nor does a recoverable key's export route open it as a value.
      const apiId = await h().recoverableApi(ws);
      const { keyId } = await h().createKey(ws, apiId, { recoverable: true });
      const targetPublicKey = (await targetKey()).publicJwk as never;
      await expect(vault.exportTo({ keyring: ws.workspaceId, encrypted: row!.encrypted, context: escrowKeyId, purpose: "value", targetPublicKey })).rejects.toThrow(/could not be decrypted/);
      // And a recoverable key's ciphertext is not a key pair: the purposes are kept apart both ways.
      const [keyRow] = await h().db.select().from(keys).where(eq(keys.id, keyId));
      await expect(vault.exportTo({ keyring: ws.workspaceId, encrypted: keyRow!.encrypted!, context: keyId, purpose: "keyPair", targetPublicKey })).rejects.toThrow(/could not be decrypted/);
      expect(await vault.exportTo({ keyring: ws.workspaceId, encrypted: keyRow!.encrypted!, context: keyId, purpose: "value", targetPublicKey })).toMatch(/^ey/);
    });
  },
  { vault: true },
);

forEachDatabase("escrow keys without a vault", (h) => {
  test("createKey is 503 and writes nothing", async () => {
    const ws = await h().workspace();
    // v2 declares no 503: an unreachable dependency is a 500 whose type names it (src/api/v2/envelope.ts).
    const res = await h().post("/v2/escrow.createKey", { name: "n" }, ws.rootKey);
    expect([res.status, res.body.error.type]).toEqual([500, "/docs/errors#SERVICE_UNAVAILABLE"]);
    expect(await h().db.select().from(escrowKeys).where(eq(escrowKeys.workspaceId, ws.workspaceId))).toEqual([]);
    expectError(await h().post("/v1/escrow.createKey", { name: "n" }, ws.rootKey), 503, "SERVICE_UNAVAILABLE");
  });
});
