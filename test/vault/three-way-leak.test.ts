import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { base64, base64urlnopad } from "@scure/base";
import { expect, test } from "vitest";
import { aes256gcm } from "../../src/crypto/aes-gcm.ts";
import { sha256Hex } from "../../src/crypto/hash.ts";
import { dekAssociatedData, decodeCiphertext, sealAssociatedData, valueAssociatedData } from "../../src/vault/ciphertext.ts";
import { masterKeyId } from "../../src/vault/master-keys.ts";
import type { KeyringDocument } from "../../src/vault/storage/storage.ts";
import { forEachDatabase } from "../harness.ts";
import { openBundle, targetKey } from "../jwe-target.ts";

/** What an attacker holds: any of the vault's files, a dump of the API's database, the master keys. */
interface Loot {
  vaultFiles?: Map<string, string>;
  apiDump?: Record<string, unknown[]>;
  masterKeys?: string[];
}

/**
 * Everything an attacker could do with the loot: search it byte-wise for the secrets (API keys,
 * and the `d` of escrow private keys), then unwrap every DEK the master keys open and decrypt
 * every ciphertext those DEKs open: recoverable keys and sealed escrow private keys.
 */
function recover(loot: Loot, secrets: string[], escrowSecrets: string[] = []): Set<string> {
  const found = new Set<string>();
  const haystack = [...(loot.vaultFiles?.values() ?? []), JSON.stringify(loot.apiDump ?? {}), (loot.masterKeys ?? []).join("\n")].join("\n");
  for (const s of secrets) if (haystack.includes(s) || haystack.includes(s.slice(s.lastIndexOf("_") + 1, -6))) found.add(s);
  for (const d of escrowSecrets) if (haystack.includes(d)) found.add(d);

  const keks = new Map((loot.masterKeys ?? []).map((k) => [masterKeyId(base64.decode(k)), aes256gcm(base64.decode(k))]));
  const deks = new Map<string, ReturnType<typeof aes256gcm>>();
  for (const text of loot.vaultFiles?.values() ?? []) {
    const doc = JSON.parse(text) as KeyringDocument;
    for (const d of doc.deks) {
      const kek = keks.get(d.kekId);
      if (!kek) continue;
      deks.set(`${doc.keyring}/${d.id}`, aes256gcm(kek.decrypt(base64urlnopad.decode(d.wrapped), dekAssociatedData(doc.keyring, d.id))));
    }
  }
  for (const row of (loot.apiDump?.keys ?? []) as { id: string; workspace_id: string; encrypted: string | null }[]) {
    if (!row.encrypted) continue;
    const { dekId, sealed } = decodeCiphertext(row.encrypted);
    const dek = deks.get(`${row.workspace_id}/${dekId}`);
    if (!dek) continue;
    const plaintext = new TextDecoder().decode(dek.decrypt(sealed, valueAssociatedData(row.workspace_id, dekId, row.id)));
    if (secrets.includes(plaintext)) found.add(plaintext);
  }
  for (const row of (loot.apiDump?.escrow_keys ?? []) as { id: string; workspace_id: string; encrypted: string }[]) {
    const { dekId, sealed } = decodeCiphertext(row.encrypted);
    const dek = deks.get(`${row.workspace_id}/${dekId}`);
    if (!dek) continue;
    const { d } = JSON.parse(new TextDecoder().decode(dek.decrypt(sealed, sealAssociatedData("keyPair", row.workspace_id, dekId, row.id)))) as { d: string };
    if (escrowSecrets.includes(d)) found.add(d);
  }
  return found;
}

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) for (const [p, t] of readTree(path)) files.set(p, t);
    else files.set(path, readFileSync(path, "latin1"));
  }
  return files;
}

forEachDatabase(
  "three-way leak",
  (h) => {
    test("vault storage, API database or master keys alone expose no key, nor any escrow private key; all three together do", async () => {
      const secrets: string[] = [];
      const keyIds: string[] = [];
      /** The `d` of every escrow private key, learned the only way there is: exported to a key of ours. */
      const escrowSecrets: string[] = [];
      const escrowIds: string[] = [];
      const target = await targetKey();
      for (let w = 0; w < 2; w++) {
        const ws = await h().workspace();
        const apiId = await h().createApi(ws);
        await h().post("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, ws.rootKey);
        for (let i = 0; i < 5; i++) {
          const k = await h().createKey(ws, apiId, { prefix: "sk_live", recoverable: true });
          secrets.push(k.key);
          keyIds.push(k.keyId);
        }
        await h().testVault!.vault.keyrings.createDek(ws.workspaceId); // a second DEK per keyring
        const k = await h().createKey(ws, apiId, { recoverable: true });
        secrets.push(k.key);
        keyIds.push(k.keyId);
        for (let i = 0; i < 2; i++) {
          const { escrowKeyId } = (await h().post("/v2/escrow.createKey", { name: `escrow-${i}` }, ws.rootKey)).body.data;
          const exported = await h().post("/v2/escrow.exportKey", { escrowKeyId, targetPublicKey: target.publicJwk }, ws.rootKey);
          escrowSecrets.push(JSON.parse(await openBundle(exported.body.data.exportBundle, target.privateKey)).d);
          escrowIds.push(escrowKeyId);
        }
      }

      const vaultFiles = readTree(h().testVault!.options.vaultDir);
      const apiDump = await h().dump();
      const masterKeys = h().testVault!.options.masterKeys!.split(",");
      expect(vaultFiles.size).toBeGreaterThanOrEqual(2);

      // Every combination short of all three yields nothing.
      const parts = { vaultFiles, apiDump, masterKeys };
      const names = Object.keys(parts) as (keyof typeof parts)[];
      for (let mask = 1; mask < 7; mask++) {
        const loot: Loot = {};
        names.forEach((n, i) => mask & (1 << i) && Object.assign(loot, { [n]: parts[n] }));
        expect([...recover(loot, secrets, escrowSecrets)], `with ${Object.keys(loot).join(" + ")}`).toEqual([]);
      }
      // All three: every key and every escrow private key, which proves the search above could have seen them.
      expect(escrowSecrets).toHaveLength(4);
      expect(recover(parts, secrets, escrowSecrets)).toEqual(new Set([...secrets, ...escrowSecrets]));

      // Each store holds only its own kind of data.
      const vaultText = [...vaultFiles.values()].join("\n");
      for (const [i, id] of keyIds.entries()) {
        expect(vaultText).not.toContain(id);
        expect(vaultText).not.toContain(sha256Hex(secrets[i]!));
      }
      for (const id of escrowIds) expect(vaultText).not.toContain(id);
      expect(vaultText).not.toMatch(/v1\.dek_/);
      const dumpText = JSON.stringify(apiDump);
      for (const text of vaultFiles.values()) {
        for (const d of (JSON.parse(text) as KeyringDocument).deks) expect(dumpText).not.toContain(d.wrapped);
      }
      for (const k of masterKeys) expect(dumpText + vaultText).not.toContain(k);
    });
  },
  { vault: true },
);
