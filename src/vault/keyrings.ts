import { base64urlnopad } from "@scure/base";
import type { Aead } from "../crypto/aead.ts";
import { aes256gcm, KEY_BYTES } from "../crypto/aes-gcm.ts";
import { randomBytes } from "../crypto/random.ts";
import { newId } from "../ids.ts";
import { type SealPurpose, decodeCiphertext, dekAssociatedData, encodeCiphertext, sealAssociatedData } from "./ciphertext.ts";
import type { MasterKeys } from "./master-keys.ts";
import { type DekRecord, KEYRING_NAME, type KeyringDocument, type VaultStorage } from "./storage/storage.ts";
import { VaultError } from "./vault-error.ts";

export interface KeyringsOptions {
  storage: VaultStorage;
  masterKeys: MasterKeys;
  /** A DEK older than this is replaced before the next encryption. */
  dekMaxAgeMs: number;
  /** A DEK that has made this many encryptions is replaced before the next. */
  dekMaxUses: number;
  /** How long an unwrapped DEK stays in memory after its last unwrap. */
  dekCacheTtlMs: number;
  now?: () => number;
}

export interface EncryptResult {
  encrypted: string;
  dekId: string;
}

export interface KeyringSummary {
  keyring: string;
  primary: string;
  deks: { id: string; createdAt: number; kekId: string; usesReserved: number }[];
}

interface Lease {
  dekId: string;
  /** Next use number this process may take; uses below `limit` were reserved by this process. */
  next: number;
  limit: number;
}

interface State {
  doc: KeyringDocument;
  /** The primary DEK's uses reserved in storage by this process and not yet spent. */
  lease: Lease | null;
}

type Change = { doc: KeyringDocument; lease?: Lease } | null;

const MAX_RETRIES = 5;

/**
 * Envelope encryption per keyring (one per workspace): values are sealed with the
 * keyring's primary DEK; DEKs are stored only wrapped by a master key. Rotation is
 * automatic by age and use count, and explicit via `createDek`. Old DEKs keep
 * decrypting: a ciphertext names the DEK that made it.
 */
export class Keyrings {
  private readonly states = new Map<string, State>();
  private readonly deks = new Map<string, { aead: Aead; expiresAt: number }>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly now: () => number;

  constructor(private readonly options: KeyringsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** `purpose` (see ciphertext.ts): "keyPair" only for private keys the vault made itself. */
  async encrypt(keyring: string, plaintext: Uint8Array, context: string, purpose: SealPurpose = "value"): Promise<EncryptResult> {
    checkName(keyring);
    const dekId = this.takeUse(this.states.get(keyring)) ?? (await this.withLock(keyring, () => this.prepareUse(keyring)));
    const aead = await this.dekAead(keyring, dekId);
    const sealed = aead.encrypt(plaintext, sealAssociatedData(purpose, keyring, dekId, context));
    return { encrypted: encodeCiphertext({ dekId, sealed }), dekId };
  }

  async decrypt(keyring: string, encrypted: string, context: string, purpose: SealPurpose = "value"): Promise<Uint8Array> {
    checkName(keyring);
    const { dekId, sealed } = decodeCiphertext(encrypted);
    const aead = await this.dekAead(keyring, dekId);
    try {
      return aead.decrypt(sealed, sealAssociatedData(purpose, keyring, dekId, context));
    } catch (error) {
      throw new VaultError("DECRYPT_FAILED", "Decryption failed: the ciphertext was altered or belongs to another keyring or context.", {
        cause: error,
      });
    }
  }

  /** Moves a value onto the keyring's current DEK; a value already there is returned as it is. */
  async reEncrypt(keyring: string, encrypted: string, context: string, purpose: SealPurpose = "value"): Promise<EncryptResult> {
    const plaintext = await this.decrypt(keyring, encrypted, context, purpose);
    const primary = (await this.load(keyring))?.doc.primary;
    const { dekId } = decodeCiphertext(encrypted);
    if (dekId === primary && this.isFresh(this.states.get(keyring)!)) return { encrypted, dekId };
    return this.encrypt(keyring, plaintext, context, purpose);
  }

  /** Starts a new primary DEK now (old ones keep decrypting). */
  async createDek(keyring: string): Promise<string> {
    checkName(keyring);
    return this.withLock(keyring, async () => {
      const state = await this.mutate(keyring, (doc) => this.withNewDek(keyring, doc));
      return state.doc.primary;
    });
  }

  async describe(keyring: string): Promise<KeyringSummary | null> {
    checkName(keyring);
    const state = await this.load(keyring, true);
    if (!state) return null;
    const { doc } = state;
    return { keyring, primary: doc.primary, deks: doc.deks.map(({ wrapped: _, ...rest }) => rest) };
  }

  async keyringNames(): Promise<string[]> {
    return this.storage((s) => s.list());
  }

  /**
   * Rewraps every DEK of every keyring under the primary master key, after which the
   * other master keys are no longer needed. Fails naming a master key it lacks.
   */
  async rewrapAll(): Promise<{ keyrings: number; rewrapped: number }> {
    let rewrapped = 0;
    const names = await this.keyringNames();
    for (const keyring of names) {
      await this.withLock(keyring, async () => {
        await this.mutate(keyring, (doc) => {
          if (!doc) return null;
          const stale = doc.deks.filter((d) => d.kekId !== this.options.masterKeys.primary.id);
          if (stale.length === 0) return null;
          rewrapped += stale.length;
          return { doc: { ...doc, deks: doc.deks.map((d) => (d.kekId === this.options.masterKeys.primary.id ? d : this.rewrap(keyring, d))) } };
        });
      });
    }
    return { keyrings: names.length, rewrapped };
  }

  // ---- encryption budget -------------------------------------------------------------

  /** The primary DEK if this process may make one more encryption with it without a write; counts the use. */
  private takeUse(state: State | undefined): string | null {
    const lease = state?.lease;
    if (!state || !lease || lease.dekId !== state.doc.primary || !this.isFresh(state)) return null;
    if (lease.next >= lease.limit) return null;
    lease.next++;
    return lease.dekId;
  }

  private isFresh(state: State): boolean {
    const primary = state.doc.deks.find((d) => d.id === state.doc.primary);
    return !!primary && this.now() - primary.createdAt < this.options.dekMaxAgeMs;
  }

  /**
   * Under the keyring's lock: reserve a block of uses of the primary DEK in storage, or
   * rotate to a new DEK when the primary is too old or its budget is spent. Reserving in
   * blocks keeps writes rare; a crash loses at most a block, which only rotates early.
   */
  private async prepareUse(keyring: string): Promise<string> {
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const taken = this.takeUse(this.states.get(keyring));
      if (taken) return taken;
      await this.mutate(keyring, (doc) => {
        if (!doc) return this.withNewDek(keyring, null);
        const primary = doc.deks.find((d) => d.id === doc.primary)!;
        const tooOld = this.now() - primary.createdAt >= this.options.dekMaxAgeMs;
        if (tooOld || primary.usesReserved >= this.options.dekMaxUses) return this.withNewDek(keyring, doc);
        const limit = Math.min(this.options.dekMaxUses, primary.usesReserved + this.block());
        return {
          doc: { ...doc, deks: doc.deks.map((d) => (d.id === primary.id ? { ...d, usesReserved: limit } : d)) },
          lease: { dekId: primary.id, next: primary.usesReserved, limit },
        };
      });
    }
    throw new VaultError("STORAGE_FAILED", `Could not reserve an encryption for keyring ${keyring}.`);
  }

  private block(): number {
    return Math.max(1, Math.min(1024, this.options.dekMaxUses));
  }

  // ---- DEKs ----------------------------------------------------------------------------

  private withNewDek(keyring: string, doc: KeyringDocument | null): Change {
    const bytes = randomBytes(KEY_BYTES);
    const id = newId("dek");
    const kek = this.options.masterKeys.primary;
    const record: DekRecord = {
      id,
      createdAt: this.now(),
      kekId: kek.id,
      wrapped: base64urlnopad.encode(kek.aead.encrypt(bytes, dekAssociatedData(keyring, id))),
      usesReserved: this.block(),
    };
    this.deks.set(`${keyring}/${id}`, { aead: aes256gcm(bytes), expiresAt: this.now() + this.options.dekCacheTtlMs });
    return {
      doc: { format: 1, keyring, revision: doc?.revision ?? 0, primary: id, deks: [...(doc?.deks ?? []), record] },
      lease: { dekId: id, next: 0, limit: record.usesReserved },
    };
  }

  private rewrap(keyring: string, record: DekRecord): DekRecord {
    const bytes = this.unwrap(keyring, record);
    const kek = this.options.masterKeys.primary;
    return { ...record, kekId: kek.id, wrapped: base64urlnopad.encode(kek.aead.encrypt(bytes, dekAssociatedData(keyring, record.id))) };
  }

  private unwrap(keyring: string, record: DekRecord): Uint8Array {
    const kek = this.options.masterKeys.byId.get(record.kekId);
    if (!kek) {
      throw new VaultError(
        "MASTER_KEY_MISSING",
        `DEK ${record.id} of keyring ${keyring} is wrapped by master key ${record.kekId}, which is not configured (VAULT_MASTER_KEYS).`,
      );
    }
    try {
      return kek.aead.decrypt(base64urlnopad.decode(record.wrapped), dekAssociatedData(keyring, record.id));
    } catch (error) {
      throw new VaultError("DECRYPT_FAILED", `DEK ${record.id} of keyring ${keyring} failed to unwrap: its stored form was altered.`, {
        cause: error,
      });
    }
  }

  /** The DEK as an AEAD, unwrapped at most once per TTL. An unknown id reloads the keyring once (another vault may have rotated). */
  private async dekAead(keyring: string, dekId: string): Promise<Aead> {
    const cacheKey = `${keyring}/${dekId}`;
    const cached = this.deks.get(cacheKey);
    if (cached && cached.expiresAt > this.now()) return cached.aead;
    let record = this.states.get(keyring)?.doc.deks.find((d) => d.id === dekId);
    if (!record) record = (await this.load(keyring, true))?.doc.deks.find((d) => d.id === dekId);
    if (!record) throw new VaultError("UNKNOWN_DEK", `Keyring ${keyring} has no DEK ${dekId}.`);
    const aead = aes256gcm(this.unwrap(keyring, record));
    this.deks.set(cacheKey, { aead, expiresAt: this.now() + this.options.dekCacheTtlMs });
    return aead;
  }

  // ---- state and storage ---------------------------------------------------------------

  private async load(keyring: string, fresh = false): Promise<State | null> {
    const known = this.states.get(keyring);
    if (known && !fresh) return known;
    const doc = await this.storage((s) => s.read(keyring));
    if (!doc) return null;
    return this.adopt(doc);
  }

  /** Takes `doc` as the keyring's state, keeping this process's lease while storage still backs it. */
  private adopt(doc: KeyringDocument, lease?: Lease): State {
    const previous = this.states.get(doc.keyring)?.lease;
    const backed = (l: Lease | null | undefined) =>
      l && l.dekId === doc.primary && (doc.deks.find((d) => d.id === l.dekId)?.usesReserved ?? 0) >= l.limit ? l : null;
    const state = { doc, lease: backed(lease) ?? backed(previous) };
    this.states.set(doc.keyring, state);
    return state;
  }

  /**
   * Applies `change` to the stored document and writes it with compare-and-swap,
   * retrying on a concurrent writer. Memory changes only after the write succeeded, so
   * a failed write leaves the keyring as it was.
   */
  private async mutate(keyring: string, change: (doc: KeyringDocument | null) => Change): Promise<State> {
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const current = (await this.load(keyring, true))?.doc ?? null;
      const next = change(current);
      if (!next) return this.states.get(keyring)!;
      const doc = { ...next.doc, revision: (current?.revision ?? 0) + 1 };
      if (await this.storage((s) => s.write(doc))) return this.adopt(doc, next.lease);
    }
    throw new VaultError("STORAGE_FAILED", `Keyring ${keyring} kept changing under us; try again.`);
  }

  private async storage<T>(op: (s: VaultStorage) => Promise<T>): Promise<T> {
    try {
      return await op(this.options.storage);
    } catch (error) {
      throw new VaultError("STORAGE_FAILED", "The vault's storage failed.", { cause: error });
    }
  }

  private async withLock<T>(keyring: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(keyring) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => {});
    this.locks.set(keyring, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(keyring) === settled) this.locks.delete(keyring);
    }
  }
}

function checkName(keyring: string): void {
  if (!KEYRING_NAME.test(keyring)) throw new VaultError("UNKNOWN_DEK", "Invalid keyring name.");
}
