import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { base64 } from "@scure/base";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Aead } from "../crypto/aead.ts";
import { KEY_BYTES, aes256gcm } from "../crypto/aes-gcm.ts";
import { sha256Bytes } from "../crypto/hash.ts";
import { randomBytes } from "../crypto/random.ts";

/** A master key (KEK): it only ever wraps DEKs. Its id is derived from it, so a ciphertext of a DEK names the KEK it needs. */
export interface MasterKey {
  id: string;
  aead: Aead;
}

/** The first key wraps new DEKs; all of them unwrap. */
export interface MasterKeys {
  primary: MasterKey;
  byId: ReadonlyMap<string, MasterKey>;
}

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MasterKeyError";
  }
}

export function masterKeyId(key: Uint8Array): string {
  const tag = new TextEncoder().encode("keyhold.kek.id");
  const digest = sha256Bytes(new Uint8Array([...tag, ...key]));
  return `kek_${bytesToHex(digest.subarray(0, 8))}`;
}

/** Parses VAULT_MASTER_KEYS: comma-separated base64 of 32 bytes each. */
export function parseMasterKeys(value: string): MasterKeys {
  const keys = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((text, i) => {
      let bytes: Uint8Array;
      try {
        bytes = base64.decode(text);
      } catch {
        throw new MasterKeyError(`VAULT_MASTER_KEYS entry ${i + 1} is not valid base64.`);
      }
      if (bytes.length !== KEY_BYTES) throw new MasterKeyError(`VAULT_MASTER_KEYS entry ${i + 1} must decode to 32 bytes, not ${bytes.length}.`);
      return { id: masterKeyId(bytes), aead: aes256gcm(bytes) };
    });
  if (keys.length === 0) throw new MasterKeyError("VAULT_MASTER_KEYS holds no key.");
  return { primary: keys[0]!, byId: new Map(keys.map((k) => [k.id, k])) };
}

export function generateMasterKey(): string {
  return base64.encode(randomBytes(KEY_BYTES));
}

/**
 * The embedded default: a master key kept in a file readable by its owner only, created
 * on first start. Good for trying Keyhold; production passes VAULT_MASTER_KEYS from a
 * secret manager instead.
 */
export function loadOrCreateMasterKeyFile(path: string): { keys: MasterKeys; created: boolean } {
  let created = false;
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${generateMasterKey()}\n`);
      closeSync(fd);
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) chmodSync(path, 0o600); // never leave it readable by others
  return { keys: parseMasterKeys(readFileSync(path, "utf8").trim().split(/\s+/).join(",")), created };
}
