import type { Unkey as UnkeyV1 } from "@unkey/api";
import * as errors from "unkey-api-v2/models/errors";
import { beforeAll, expect, test } from "vitest";
import { forEachDatabase } from "../harness.ts";
import { useListener, v1Sdk } from "../listen.ts";
import { useV2Sdk } from "../v2/sdk-context.ts";

/**
 * Every standalone rate-limit call through Unkey's own SDKs against a live Keyhold, changing
 * nothing but the server URL: v2 (`@unkey/api` 2.5.1, its response validation on, so every
 * passing call is contract-shaped) and v1 (`@unkey/api` 0.38.0).
 */
/** 30 days, the longest window: calls that count on sharing one never straddle a window's end. */
const WINDOW = 2_592_000_000;

forEachDatabase("standalone rate limits through @unkey/api 2.5.1", (h) => {
  const v2 = useV2Sdk(h);

  test("limit, multiLimit and the override calls", async () => {
    const { unkey } = v2();
    const first = await unkey.ratelimit.limit({ namespace: "sdk.v2", identifier: "user_1", limit: 2, duration: WINDOW });
    expect(first.meta.requestId).toMatch(/^req_/);
    expect(first.data).toMatchObject({ success: true, limit: 2, remaining: 1 });
    expect(first.data.reset).toBeGreaterThan(Date.now());
    expect((await unkey.ratelimit.limit({ namespace: "sdk.v2", identifier: "user_1", limit: 2, duration: WINDOW, cost: 2 })).data).toMatchObject({ success: false, remaining: 1 });

    const set = await unkey.ratelimit.setOverride({ namespace: "sdk.v2", identifier: "vip_*", limit: 1000, duration: WINDOW });
    const overrideId = set.data.overrideId;
    expect(overrideId).toMatch(/^rlor_/);
    expect((await unkey.ratelimit.limit({ namespace: "sdk.v2", identifier: "vip_7", limit: 2, duration: WINDOW })).data).toMatchObject({ success: true, limit: 1000, remaining: 999, overrideId });
    expect((await unkey.ratelimit.getOverride({ namespace: "sdk.v2", identifier: "vip_*" })).data).toEqual({ overrideId, identifier: "vip_*", limit: 1000, duration: WINDOW });
    const listed = (await unkey.ratelimit.listOverrides({ namespace: "sdk.v2", limit: 10 })).result;
    expect(listed.data).toEqual([{ overrideId, identifier: "vip_*", limit: 1000, duration: WINDOW }]);
    expect(listed.pagination).toEqual({ hasMore: false });

    const multi = await unkey.ratelimit.multiLimit([
      { namespace: "sdk.v2", identifier: "user_2", limit: 5, duration: WINDOW },
      { namespace: "sdk.v2.other", identifier: "user_2", limit: 1, duration: WINDOW, cost: 2 },
    ]);
    expect(multi.data).toMatchObject({ passed: false, limits: [{ namespace: "sdk.v2", passed: true, remaining: 5 }, { namespace: "sdk.v2.other", passed: false }] });

    expect((await unkey.ratelimit.deleteOverride({ namespace: "sdk.v2", identifier: "vip_*" })).data).toEqual({});
    const gone = await unkey.ratelimit.getOverride({ namespace: "sdk.v2", identifier: "vip_*" }).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(errors.NotFoundErrorResponse);
    expect((gone as errors.NotFoundErrorResponse).data$.error).toMatchObject({ status: 404, detail: "The override does not exist." });
  });

  test("refusals in the SDK's error types: bad input 400, a missing permission 403, a missing namespace 404", async () => {
    const { unkey, sdk, ws } = v2();
    const bad = await unkey.ratelimit.limit({ namespace: "sdk.v2", identifier: "u", limit: 0, duration: WINDOW }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(errors.BadRequestErrorResponse);
    expect((bad as errors.BadRequestErrorResponse).data$.error.errors[0]).toMatchObject({ location: "body.limit" });
    const limiter = await h().rootKey(ws, ["ratelimit.*.limit"]);
    const denied = await sdk(limiter.key).ratelimit.limit({ namespace: "never-made", identifier: "u", limit: 1, duration: WINDOW }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(errors.ForbiddenErrorResponse);
    expect((denied as errors.ForbiddenErrorResponse).data$.error.detail).toContain("ratelimit.*.create_namespace");
    await expect(unkey.ratelimit.listOverrides({ namespace: "never-made" })).rejects.toBeInstanceOf(errors.NotFoundErrorResponse);
  });
});

forEachDatabase("standalone rate limits through @unkey/api 0.38.0", (h) => {
  const url = useListener(h);
  let unkey: UnkeyV1;
  beforeAll(async () => {
    unkey = v1Sdk(url(), (await h().workspace()).rootKey);
  });

  test("ratelimits.limit and the override calls", async () => {
    const first = await unkey.ratelimits.limit({ namespace: "sdk.v1", identifier: "user_1", limit: 2, duration: WINDOW, async: true, meta: { route: "/x" } });
    expect(first.error).toBeUndefined();
    expect(first.result).toMatchObject({ success: true, limit: 2, remaining: 1 });
    expect((await unkey.ratelimits.limit({ namespace: "sdk.v1", identifier: "user_1", limit: 2, duration: WINDOW, cost: 2 })).result).toMatchObject({ success: false });

    const set = await unkey.ratelimits.setOverride({ namespaceName: "sdk.v1", identifier: "vip_*", limit: 50, duration: WINDOW, async: false });
    expect(set.error).toBeUndefined();
    const overrideId = set.result!.overrideId;
    expect((await unkey.ratelimits.limit({ namespace: "sdk.v1", identifier: "vip_1", limit: 2, duration: WINDOW })).result).toMatchObject({ success: true, limit: 50, remaining: 49 });
    const got = await unkey.ratelimits.getOverride({ namespaceName: "sdk.v1", identifier: "vip_*" });
    expect(got.result).toEqual({ id: overrideId, identifier: "vip_*", limit: 50, duration: WINDOW, async: false });
    const listed = await unkey.ratelimits.listOverrides({ namespaceName: "sdk.v1" });
    expect(listed.result).toEqual({ overrides: [{ id: overrideId, identifier: "vip_*", limit: 50, duration: WINDOW, async: false }], total: 1 });
    const deleted = await unkey.ratelimits.deleteOverride({ namespaceName: "sdk.v1", identifier: "vip_*" });
    expect(deleted.error).toBeUndefined();
    expect(deleted.result).toEqual({});
    const gone = await unkey.ratelimits.getOverride({ namespaceName: "sdk.v1", identifier: "vip_*" });
    expect(gone.error).toMatchObject({ code: "NOT_FOUND" });
    const noNamespace = await unkey.ratelimits.setOverride({ identifier: "abc", limit: 1, duration: WINDOW });
    expect(noNamespace.error).toMatchObject({ code: "BAD_REQUEST" });
  });
});
