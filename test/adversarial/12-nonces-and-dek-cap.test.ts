import { bytesToHex } from "@noble/ciphers/utils.js";
import { describe, expect, test } from "vitest";
import { NONCE_BYTES } from "../../src/crypto/aes-gcm.ts";
import { decodeCiphertext } from "../../src/vault/ciphertext.ts";
import { keyringBackends, openKeyrings } from "../keyrings-harness.ts";

/**
 * Point 12: random 96-bit nonces never repeat over 2^17 encryptions of one keyring, and
 * the per-DEK use cap holds: with the cap at 1,000, encryption 1,001 uses a new DEK and
 * all 1,001 decrypt.
 */
const enc = new TextEncoder();
const dec = new TextDecoder();
const backends = keyringBackends();

describe.each(backends)("adversarial 12: nonces and the DEK use cap ($name)", (backend) => {
  const setup = (overrides: Parameters<typeof openKeyrings>[1] = {}) => openKeyrings(backend, overrides);

  test.runIf(backend.name === "dir")("2^17 encryptions through the keyrings: 131,072 distinct nonces", async () => {
    const { keyrings } = await setup();
    const nonces = new Set<string>();
    const deks = new Set<string>();
    const started = performance.now();
    const total = 2 ** 17;
    for (let i = 0; i < total; i++) {
      const { encrypted, dekId } = await keyrings.encrypt("ws_nonces", enc.encode("sk_value"), "key_1");
      nonces.add(bytesToHex(decodeCiphertext(encrypted).sealed.subarray(0, NONCE_BYTES)));
      deks.add(dekId);
    }
    console.log(`[adversarial 12] ${total} encryptions, ${nonces.size} distinct nonces, ${deks.size} DEK(s), ${Math.round(performance.now() - started)} ms`);
    expect(deks.size).toBe(1); // all under one key: a repeat would be a real (key, nonce) reuse
    expect(nonces.size).toBe(total);
  }, 120_000);

  test("use cap 1,000: encryption 1,001 starts a new DEK and all 1,001 decrypt", async () => {
    const { keyrings } = await setup({ dekMaxUses: 1000 });
    const results: { encrypted: string; dekId: string }[] = [];
    for (let i = 0; i < 1001; i++) results.push(await keyrings.encrypt("ws_a", enc.encode(`v${i}`), `key_${i}`));
    const dekIds = new Set(results.map((r) => r.dekId));
    expect(dekIds.size).toBe(2);
    expect(results.slice(0, 1000).every((r) => r.dekId === results[0]!.dekId)).toBe(true);
    expect(results[1000]!.dekId).not.toBe(results[0]!.dekId);
    for (let i = 0; i < 1001; i++) expect(dec.decode(await keyrings.decrypt("ws_a", results[i]!.encrypted, `key_${i}`))).toBe(`v${i}`);
  });

});
