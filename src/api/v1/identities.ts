import type { App } from "../env.ts";
import { registerCreateIdentity } from "./identities_createIdentity.ts";
import { registerDeleteIdentity } from "./identities_deleteIdentity.ts";
import { registerGetIdentity } from "./identities_getIdentity.ts";
import { registerListIdentities } from "./identities_listIdentities.ts";
import { registerUpdateIdentity } from "./identities_updateIdentity.ts";

/** Unkey v1's identities.* (0.38 SDK), over the same service as v2's (src/identities/). */
export const identityRoutes: ((app: App) => void)[] = [
  registerCreateIdentity,
  registerGetIdentity,
  registerListIdentities,
  registerUpdateIdentity,
  registerDeleteIdentity,
];
