import { expect, test } from "vitest";
import * as errors from "unkey-api-v2/models/errors";
import { forEachDatabase } from "../harness.ts";
import { useV2Sdk } from "./sdk-context.ts";

forEachDatabase("v2 apis through @unkey/api 2.5.1", (h) => {
  const v2 = useV2Sdk(h);

  test("createApi, getApi, deleteApi: v2 envelopes the SDK accepts; a deleted API is 404 NotFoundErrorResponse", async () => {
    const { unkey } = v2();
    const created = await unkey.apis.createApi({ name: "payments" });
    expect(created.meta.requestId).toMatch(/^req_/);
    const apiId = created.data.apiId;
    expect(apiId).toMatch(/^api_/);
    expect((await unkey.apis.getApi({ apiId })).data).toEqual({ id: apiId, name: "payments" });
    expect((await unkey.apis.deleteApi({ apiId })).data).toEqual({});
    const gone = await unkey.apis.getApi({ apiId }).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(errors.NotFoundErrorResponse);
    expect((gone as errors.NotFoundErrorResponse).data$.error).toMatchObject({ status: 404, title: "Not Found" });
  });

  test("another workspace's API answers exactly like a missing one", async () => {
    const { unkey } = v2();
    const other = await h().workspace();
    const foreign = await h().createApi(other);
    const a = await unkey.apis.getApi({ apiId: foreign }).catch((e: errors.NotFoundErrorResponse) => e.data$.error);
    const b = await unkey.apis.getApi({ apiId: "api_missing" }).catch((e: errors.NotFoundErrorResponse) => e.data$.error);
    expect(a).toEqual(b);
  });

  test("bad input: 400 BadRequestErrorResponse with errors[] naming the field; no root key: 401; missing permission: 403", async () => {
    const { unkey, sdk, ws } = v2();
    const bad = await h().post("/v2/apis.createApi", { name: "" }, ws.rootKey);
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toMatch(/^application\/json/);
    expect(bad.body.error.errors[0]).toMatchObject({ location: "body.name" });
    expect(bad.body.meta.requestId).toMatch(/^req_/);
    const notJson = await h().call("POST", "/v2/apis.createApi", { rawBody: "{", token: ws.rootKey, headers: { "Content-Type": "application/json" } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.errors).toHaveLength(1);
    await expect(sdk("kh_root_nope").apis.createApi({ name: "x" })).rejects.toBeInstanceOf(errors.UnauthorizedErrorResponse);
    const reader = await h().rootKey(ws, ["api.*.read_api"]);
    const denied = await sdk(reader.key).apis.createApi({ name: "x" }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(errors.ForbiddenErrorResponse);
    await expect(unkey.apis.createApi({ name: "ok" })).resolves.toMatchObject({ data: { apiId: expect.stringMatching(/^api_/) } });
  });

  test("liveness needs no root key", async () => {
    const live = await h().call("GET", "/v2/liveness");
    expect(live.status).toBe(200);
    expect(live.body.data).toEqual({ message: "OK" });
  });
});
