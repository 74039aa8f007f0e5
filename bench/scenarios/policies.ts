import type { Database } from "../../src/db/client.ts";
import { apis } from "../../src/db/schema.ts";
import { newId } from "../../src/ids.ts";
import { bootstrapWorkspace } from "../../src/workspaces/bootstrap.ts";
import { HOT_KEYS } from "../fixtures.ts";
import { call, expectVerify } from "../http.ts";
import { type LoadSpec, runLoad } from "../load.ts";
import { measurePairs } from "../pairs.ts";
import type { Profile } from "../profile.ts";
import { type Row, compared } from "../rows.ts";
import { seedKeys } from "../seed.ts";
import { nearParity, nearParityNote, verifyLoad } from "./verify.ts";

export const POLICY_COUNT = 20;

/** One of two workspaces made alike: a root key holding `*`, one API, HOT_KEYS seeded keys. */
export interface TwinWorkspace {
  workspaceId: string;
  rootKey: string;
  apiId: string;
  keys: string[];
}

/** The workspace without policies (baseline) and its twin that will hold POLICY_COUNT of them (target). */
export async function createPolicyTwins(db: Database): Promise<{ none: TwinWorkspace; policies: TwinWorkspace }> {
  const twin = async (name: string): Promise<TwinWorkspace> => {
    const ws = await bootstrapWorkspace(db, name);
    const apiId = newId("api");
    await db.insert(apis).values({ id: apiId, workspaceId: ws.workspaceId, name, createdAt: Date.now() });
    const keys = await seedKeys(db, { workspaceId: ws.workspaceId, apiId, count: HOT_KEYS, sampleEvery: 1 });
    return { workspaceId: ws.workspaceId, rootKey: ws.rootKey, apiId, keys };
  };
  return { none: await twin("bench-no-policies"), policies: await twin("bench-policies") };
}

/**
 * What a custody-minded workspace holds: decrypts of some APIs need two approvers (ALLOW with a
 * consensus), exports of some keys are refused (DENY). None matches createKey, which must
 * still answer 200 at once: the rows measure evaluating policies that do not apply.
 */
export function benchPolicies(): { name: string; effect: "ALLOW" | "DENY"; condition: string; consensus?: string }[] {
  return Array.from({ length: POLICY_COUNT }, (_, i) =>
    i % 5 === 4
      ? { name: `never export never${i}`, effect: "DENY", condition: `activity.type == 'EXPORT_KEY' && key.name == 'never${i}'` }
      : { name: `decrypts of api_x${i} need two approvers`, effect: "ALLOW", condition: `activity.type == 'DECRYPT_KEY' && api.id == 'api_x${i}'`, consensus: "size(approvers) >= 2" },
  );
}

/**
 * Two rows on one Keyhold instance (one process, one database), where only the policies
 * differ: createKey in the workspace holding POLICY_COUNT policies against createKey in its
 * twin holding none (the activity layer evaluates them), and the cached verify of each
 * workspace's keys (verify is no activity: policies must not slow it).
 */
export async function policyScenarios(p: Profile, twins: { none: TwinWorkspace; policies: TwinWorkspace }, keyhold: string, log: (s: string) => void): Promise<Row[]> {
  const { none, policies } = twins;
  log(`  creating ${POLICY_COUNT} policies in the target workspace…`);
  for (const policy of benchPolicies()) {
    const res = await call(`${keyhold}/v2/policies.createPolicy`, { body: policy, token: policies.rootKey });
    if (res.status !== 200 || !res.body.data?.policyId) throw new Error(`createPolicy failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  for (const [twin, count] of [[none, 0], [policies, POLICY_COUNT]] as const) {
    const listed = await call(`${keyhold}/v2/policies.listPolicies`, { body: { limit: 100 }, token: twin.rootKey });
    if (listed.status !== 200 || listed.body.data?.length !== count) throw new Error(`expected ${count} policies in ${twin.workspaceId}, got ${listed.status} ${JSON.stringify(listed.body)}`);
    const created = await call(`${keyhold}/v1/keys.createKey`, { body: { apiId: twin.apiId }, token: twin.rootKey });
    if (created.status !== 200 || !created.body.keyId) throw new Error(`expected createKey to answer 200 with a keyId in ${twin.workspaceId}, got ${created.status} ${JSON.stringify(created.body)}`);
    await expectVerify(`${keyhold}/v1/keys.verifyKey`, twin.keys[0]!, "VALID");
  }

  const createKey = (twin: TwinWorkspace): LoadSpec => ({
    url: keyhold,
    paths: ["/v1/keys.createKey"],
    bodies: [JSON.stringify({ apiId: twin.apiId })],
    headers: { authorization: `Bearer ${twin.rootKey}` },
    connections: p.adminConnections,
    durationS: p.durationS,
  });
  log(`  createKey, ${POLICY_COUNT} policies vs none: ${p.pairs} quads of ${p.durationS} s runs…`);
  const create = await measurePairs(createKey(none), createKey(policies), p);

  const [verifyNone, verifyPolicies] = [verifyLoad(p, keyhold, none.keys), verifyLoad(p, keyhold, policies.keys)];
  // Every key asked for twice first, so the cached runs measure hits (the memory row evicted them).
  for (const spec of [verifyNone, verifyPolicies]) await runLoad({ ...spec, amount: 2 * spec.bodies!.length });
  log(`  verify cached, ${POLICY_COUNT} policies vs none: ${p.closePairs} quads of ${p.durationS} s runs…`);
  const verify = await measurePairs(verifyNone, verifyPolicies, nearParity(p));

  const twinsNote = "twin workspaces on one instance, alike but for the policies";
  return [
    compared(`createKey, ${POLICY_COUNT} policies in the workspace`, create, "createKey, no policies", 0.8, { note: `${twinsNote}; writes a key` }),
    compared(`verify valid, cached, ${POLICY_COUNT} policies in the workspace`, verify, "verify cached, no policies", 0.95, { note: `${twinsNote}; ${nearParityNote(p)}` }),
  ];
}
