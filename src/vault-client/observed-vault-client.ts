import { KeyholdError } from "../errors.ts";
import type { VaultClient } from "./vault-client.ts";

/** Told of every vault call when it ends: the operation and, if it failed, the error code. */
export type VaultCallObserver = (op: keyof VaultClient, errorCode: string | null) => void;

/**
 * The same client, reporting each call to `observe` (for metrics). A wrapper rather than an
 * option of the HTTP client: the client is built before the app whose registry counts it.
 */
export function observeVaultClient(client: VaultClient, observe: VaultCallObserver): VaultClient {
  const observed = <A extends unknown[], R>(op: keyof VaultClient, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        const result = await call(...args);
        observe(op, null);
        return result;
      } catch (error) {
        observe(op, error instanceof KeyholdError ? error.code : "UNKNOWN");
        throw error;
      }
    };
  return {
    encrypt: observed("encrypt", (input) => client.encrypt(input)),
    decrypt: observed("decrypt", (input) => client.decrypt(input)),
    decryptMany: observed("decryptMany", (input) => client.decryptMany(input)),
    reEncrypt: observed("reEncrypt", (input) => client.reEncrypt(input)),
    createKeyPair: observed("createKeyPair", (input) => client.createKeyPair(input)),
    exportTo: observed("exportTo", (input) => client.exportTo(input)),
    describeKeyring: observed("describeKeyring", (keyring) => client.describeKeyring(keyring)),
  };
}
