import type { Fixtures } from "../fixtures.ts";
import { call } from "../http.ts";
import { type LoadSpec, measure } from "../load.ts";
import type { Profile } from "../profile.ts";
import { type Row, compared, loadRow, pass } from "../rows.ts";

const LIST_SIZE = 100;

/**
 * Routes that need a root key: createKey plain vs recoverable (through the real vault
 * process), getKey with and without decrypt, and listKeys of a 100-key page with and
 * without decrypt (one decryptMany call to the vault per page).
 */
export async function adminScenarios(p: Profile, fx: Fixtures, keyhold: string, log: (s: string) => void): Promise<Row[]> {
  const headers = { authorization: `Bearer ${fx.rootKey}` };
  const load = (paths: string[], bodies?: string[]): LoadSpec => ({
    url: keyhold,
    paths,
    bodies,
    headers,
    connections: p.adminConnections,
    durationS: p.durationS,
  });
  const run = async (name: string, spec: LoadSpec) => {
    log(`  ${name}…`);
    return measure(spec, p.warmupS);
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

  const plain = await run("createKey plain", load(["/v1/keys.createKey"], [JSON.stringify({ apiId: fx.apiId })]));
  const recoverable = await run(
    "createKey recoverable",
    load(["/v1/keys.createKey"], [JSON.stringify({ apiId: fx.recoverableApiId, recoverable: true })]),
  );
  const get = await run("getKey", load(keyIds.map((id) => `/v1/keys.getKey?keyId=${id}`)));
  const getDecrypt = await run("getKey decrypt", load(keyIds.map((id) => `/v1/keys.getKey?keyId=${id}&decrypt=true`)));
  const list = await run("listKeys", load([`/v1/apis.listKeys?apiId=${fx.listApiId}&limit=${LIST_SIZE}`]));
  const listDecrypt = await run("listKeys decrypt", load([`/v1/apis.listKeys?apiId=${fx.listApiId}&limit=${LIST_SIZE}&decrypt=true`]));
  const listRatio = listDecrypt.p50 / list.p50;

  return [
    loadRow("createKey plain", plain),
    compared("createKey recoverable (vault process)", recoverable, "createKey plain", plain, 0.5),
    loadRow("getKey", get),
    compared("getKey decrypt=true", getDecrypt, "getKey", get),
    loadRow(`listKeys ${LIST_SIZE} keys`, list),
    loadRow(`listKeys ${LIST_SIZE} keys, decrypt=true`, listDecrypt, {
      baseline: `listKeys ${LIST_SIZE} keys`,
      ratio: `p50 ${listRatio.toFixed(2)}×`,
      target: "p50 ≤ 3×",
      result: pass(listRatio <= 3 && listDecrypt.failures === 0),
    }),
  ];
}
