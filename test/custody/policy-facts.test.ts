import { expect, test } from "vitest";
import { expectWithin } from "../cache/expect-within.ts";
import { type Harness, type Workspace, forEachDatabase, onTwoInstances } from "../harness.ts";
import { errorMessage, expectErrorEnvelope } from "../security/envelope.ts";

/**
 * An admission reads the API it names and its initiator from the policy cache
 * (src/policies/policy-cache.ts): a policy on the API's name must see a rename at once on the
 * instance that made it, and within moments on every other (drizzle/0015's notices).
 */
const FROZEN = { name: "no keys in frozen APIs", effect: "DENY", condition: "activity.type == 'CREATE_KEY' && api.name == 'frozen'" };

async function frozenWorkspace(h: Harness): Promise<{ ws: Workspace; apiId: string }> {
  const ws = await h.workspace();
  const apiId = await h.createApi(ws, "open");
  const created = await h.post("/v2/policies.createPolicy", FROZEN, ws.rootKey);
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return { ws, apiId };
}

const createKey = (h: Harness, ws: Workspace, apiId: string) => h.post("/v1/keys.createKey", { apiId }, ws.rootKey);
const rename = async (h: Harness, ws: Workspace, apiId: string, name: string) => {
  const res = await h.post("/v1/apis.updateApi", { apiId, name }, ws.rootKey);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

forEachDatabase("policies read an API as it is now", (h) => {
  test("renaming an API into a DENY's condition refuses the next createKey; renaming it back allows it", async () => {
    const { ws, apiId } = await frozenWorkspace(h());
    for (let i = 0; i < 3; i++) expect((await createKey(h(), ws, apiId)).status).toBe(200); // the API is now known to the cache
    await rename(h(), ws, apiId, "frozen");
    const refused = await createKey(h(), ws, apiId);
    expectErrorEnvelope(refused, "FORBIDDEN", "createKey in a frozen API");
    expect(errorMessage(refused.body)).toContain(FROZEN.name);
    await rename(h(), ws, apiId, "open again");
    expect((await createKey(h(), ws, apiId)).status).toBe(200);
  });
});

onTwoInstances("policies read an API as it is now, on two instances", (a, b) => {
  test("a rename through one instance reaches the other's admissions", async () => {
    const { ws, apiId } = await frozenWorkspace(a());
    await expectWithin(5000, async () => (await createKey(b(), ws, apiId)).status === 200);
    expect((await createKey(b(), ws, apiId)).status).toBe(200); // b knows the API as "open"
    await rename(a(), ws, apiId, "frozen");
    await expectWithin(5000, async () => (await createKey(b(), ws, apiId)).status === 403);
    await rename(a(), ws, apiId, "open");
    await expectWithin(5000, async () => (await createKey(b(), ws, apiId)).status === 200);
  });
});
