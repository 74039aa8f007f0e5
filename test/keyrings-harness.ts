import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, inject } from "vitest";
import { Keyrings, type KeyringsOptions } from "../src/vault/keyrings.ts";
import { generateMasterKey, parseMasterKeys } from "../src/vault/master-keys.ts";
import { DirStorage } from "../src/vault/storage/dir-storage.ts";
import { PostgresStorage } from "../src/vault/storage/postgres-storage.ts";
import type { VaultStorage } from "../src/vault/storage/storage.ts";
import { VaultError } from "../src/vault/vault-error.ts";
import { createTestDatabase } from "./harness.ts";

/**
 * Keyrings on a real storage backend, opened per test and closed after it: a directory,
 * and a PostgreSQL database of the vault's own when one is configured.
 */
export interface KeyringBackend {
  name: string;
  create(): Promise<string>;
  open(location: string): Promise<VaultStorage>;
}

const cleanups: (() => Promise<void>)[] = [];
const opened: VaultStorage[] = [];

/** Registers the per-test cleanup; call once at the top of a test file. */
export function keyringBackends(): KeyringBackend[] {
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    for (const c of cleanups.splice(0)) await c();
  });
  const backends: KeyringBackend[] = [
    {
      name: "dir",
      async create() {
        const dir = mkdtempSync(join(tmpdir(), "keyhold-vault-"));
        cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
        return dir;
      },
      open: (dir) => DirStorage.open(dir),
    },
  ];
  if (inject("postgresUrl")) {
    backends.push({
      name: "postgres",
      async create() {
        const { url, dropDatabase } = await createTestDatabase(inject("postgresUrl"));
        cleanups.push(dropDatabase);
        return url;
      },
      open: (url) => PostgresStorage.open(url),
    });
  }
  return backends;
}

export async function openKeyrings(backend: KeyringBackend, overrides: Partial<KeyringsOptions> & { dir?: string } = {}) {
  const dir = overrides.dir ?? (await backend.create());
  const storage = overrides.storage ?? (await backend.open(dir));
  opened.push(storage);
  const keyrings = new Keyrings({
    storage,
    masterKeys: overrides.masterKeys ?? parseMasterKeys(generateMasterKey()),
    dekMaxAgeMs: overrides.dekMaxAgeMs ?? 30 * 86_400_000,
    dekMaxUses: overrides.dekMaxUses ?? 2 ** 24,
    dekCacheTtlMs: overrides.dekCacheTtlMs ?? 60_000,
    now: overrides.now,
  });
  return { dir, storage, keyrings };
}

export async function expectVaultError(promise: Promise<unknown>, code: VaultError["code"]): Promise<VaultError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VaultError);
  expect((error as VaultError).code).toBe(code);
  return error as VaultError;
}
