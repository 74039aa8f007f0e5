import type { Fixtures } from "../fixtures.ts";
import { call, expectVerify } from "../http.ts";
import type { LoadSpec } from "../load.ts";
import { formatSpread, measurePairs } from "../pairs.ts";
import type { Profile } from "../profile.ts";
import { type Row, compared, loadRow, pass } from "../rows.ts";
import { pairedRunsNote, verifyLoad } from "./verify.ts";

const LIST_SIZE = 100;

/**
 * Routes that need a root key, each as interleaved pairs against its baseline
 * (bench/pairs.ts): getKey (v1 and v2) and createKey plain against an uncached verify (the admin
 * path's own lookups against verify's, same connections), createKey recoverable (through
 * the real vault process) against plain, getKey with decrypt against without, and
 * listKeys of a 100-key page with decrypt (one decryptMany call to the vault) against without.
 */
export async function adminScenarios(p: Profile, fx: Fixtures, keyhold: string, uncachedVerify: string, log: (s: string) => void): Promise<Row[]> {
  const headers = { authorization: `Bearer ${fx.rootKey}` };
  const load = (paths: string[], bodies?: string[]): LoadSpec => ({
    url: keyhold,
    paths,
    bodies,
    headers,
    connections: p.adminConnections,
    durationS: p.durationS,
  });
  const pairs = (name: string, baseline: LoadSpec, target: LoadSpec) => {
    log(`  ${name}: ${p.pairs} quads of ${p.durationS} s runs…`);
    return measurePairs(baseline, target, p);
  };

  log(`  creating ${LIST_SIZE} recoverable keys to read back…`);
  const keyIds: string[] = [];
  for (let i = 0; i < LIST_SIZE; i++) {
    const res = await call(`${keyhold}/v1/keys.createKey`, { body: { apiId: fx.listApiId, recoverable: true }, token: fx.rootKey });
    if (res.status !== 200) throw new Error(`createKey recoverable failed: ${res.status} ${JSON.stringify(res.body)}`);
    keyIds.push(res.body.keyId);
  }
  const listed = await call(`${keyhold}/v1/apis.listKeys?apiId=${fx.listApiId}&limit=${LIST_SIZE}&decrypt=true`, { token: fx.rootKey });
  if (listed.body.keys?.length !== LIST_SIZE || listed.body.keys.some((k: { plaintext?: string }) => !k.plaintext)) {
    throw new Error(`listKeys decrypt=true did not return ${LIST_SIZE} plaintexts`);
  }
  await expectVerify(`${uncachedVerify}/v1/keys.verifyKey`, fx.hot[0]!, "VALID");

  const verify = verifyLoad(p, uncachedVerify, fx.hot, undefined, p.adminConnections);
  const createPlain = load(["/v1/keys.createKey"], [JSON.stringify({ apiId: fx.apiId })]);
  const getKey = load(keyIds.map((id) => `/v1/keys.getKey?keyId=${id}`));
  const getKeyV2 = load(["/v2/keys.getKey"], keyIds.map((keyId) => JSON.stringify({ keyId })));
  const list = load([`/v1/apis.listKeys?apiId=${fx.listApiId}&limit=${LIST_SIZE}`]);

  const get = await pairs("getKey vs verify uncached", verify, getKey);
  const getV2 = await pairs("v2 keys.getKey vs verify uncached", verify, getKeyV2);
  const getDecrypt = await pairs("getKey decrypt vs getKey", getKey, load(keyIds.map((id) => `/v1/keys.getKey?keyId=${id}&decrypt=true`)));
  const plain = await pairs("createKey plain vs verify uncached", verify, createPlain);
  const recoverable = await pairs(
    "createKey recoverable vs plain",
    createPlain,
    load(["/v1/keys.createKey"], [JSON.stringify({ apiId: fx.recoverableApiId, recoverable: true })]),
  );
  const listDecrypt = await pairs("listKeys decrypt vs listKeys", list, load([`/v1/apis.listKeys?apiId=${fx.listApiId}&limit=${LIST_SIZE}&decrypt=true`]));

  const uncached = `verify uncached, ${p.adminConnections} connections`;
  return [
    compared("getKey", get, uncached, 0.5),
    compared("v2 keys.getKey", getV2, uncached, 0.5),
    compared("getKey decrypt=true", getDecrypt, "getKey"),
    compared("createKey plain", plain, uncached, 0.3, { note: "writes a key" }),
    compared("createKey recoverable (vault process)", recoverable, "createKey plain", 0.5),
    loadRow(`listKeys ${LIST_SIZE} keys`, listDecrypt.baseline, { note: pairedRunsNote(p) }),
    compared(`listKeys ${LIST_SIZE} keys, decrypt=true`, listDecrypt, `listKeys ${LIST_SIZE} keys`, undefined, {
      ratio: `p50 ${formatSpread(listDecrypt.p50)}`,
      target: "p50 ≤ 3×",
      result: pass(listDecrypt.p50.median <= 3 && listDecrypt.target.failures === 0),
    }),
  ];
}
