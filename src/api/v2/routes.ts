import type { App } from "../env.ts";
import { registerV2CreateApi } from "./apis_createApi.ts";
import { registerV2DeleteApi } from "./apis_deleteApi.ts";
import { registerV2GetApi } from "./apis_getApi.ts";
import { registerV2VerifyKey } from "./keys_verifyKey.ts";
import { registerV2Liveness } from "./liveness.ts";

/** Unkey v2's operations, each a thin adapter over the same services as v1 (src/api/v1/). */
export const v2Routes: ((app: App) => void)[] = [registerV2Liveness, registerV2CreateApi, registerV2GetApi, registerV2DeleteApi, registerV2VerifyKey];
