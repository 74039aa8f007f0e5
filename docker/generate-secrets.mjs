#!/usr/bin/env node
// Writes docker/secrets/{postgres,vault,api}.env for docker-compose.yml: database passwords,
// a vault master key and the API→vault token key pair (Ed25519 JWKs). Node only, no packages.
// Refuses to overwrite existing files: the master key protects every recoverable key.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = join(dirname(fileURLToPath(import.meta.url)), "secrets");
const files = ["postgres.env", "vault.env", "api.env"].map((name) => join(dir, name));
const existing = files.filter((file) => existsSync(file));
if (existing.length > 0) {
  console.error(`Not overwriting ${existing.join(", ")}: delete them first if you really want new secrets.`);
  process.exit(1);
}

const password = () => randomBytes(24).toString("base64url");
const [postgres, api, vault] = [password(), password(), password()];
const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const privateJwk = JSON.stringify(privateKey.export({ format: "jwk" }));
const publicJwk = JSON.stringify(publicKey.export({ format: "jwk" }));

mkdirSync(dir, { recursive: true, mode: 0o700 });
const write = (file, lines) => writeFileSync(file, `${lines.join("\n")}\n`, { mode: 0o600 });
write(files[0], [`POSTGRES_PASSWORD=${postgres}`, `KEYHOLD_DB_PASSWORD=${api}`, `VAULT_DB_PASSWORD=${vault}`]);
write(files[1], [
  `VAULT_MASTER_KEYS=${randomBytes(32).toString("base64")}`,
  `VAULT_TOKEN_PUBLIC_KEY=${publicJwk}`,
  `VAULT_DATABASE_URL=postgres://keyhold_vault:${vault}@postgres:5432/keyhold_vault`,
]);
write(files[2], [`DATABASE_URL=postgres://keyhold:${api}@postgres:5432/keyhold`, `VAULT_TOKEN_PRIVATE_KEY=${privateJwk}`]);
console.log(`Wrote ${files.join(", ")} (mode 0600). Keep the master key somewhere safe as well: without it, recoverable keys are lost.`);
