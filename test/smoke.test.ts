import { expect, test } from "vitest";
import { forEachDatabase } from "./harness.ts";

forEachDatabase("smoke", (h) => {
  test("create api, key, verify", async () => {
    const ws = await h().workspace();
    const apiId = await h().createApi(ws);
    const { key, keyId } = await h().createKey(ws, apiId, { prefix: "sk", remaining: 2 });
    const v = await h().verify(key, { apiId });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ valid: true, code: "VALID", keyId, remaining: 1 });
    const g = await h().get("/v1/keys.getKey", { keyId }, ws.rootKey);
    expect(g.status).toBe(200);
    expect(g.body.start).toBe(key.slice(0, 7));
  });
});
