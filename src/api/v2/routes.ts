import type { App } from "../env.ts";
import { registerV2CreateApi } from "./apis_createApi.ts";
import { registerV2DeleteApi } from "./apis_deleteApi.ts";
import { registerV2GetApi } from "./apis_getApi.ts";
import { registerV2VerifyKey } from "./keys_verifyKey.ts";
import { registerV2MigrateKeys } from "./keys_migrateKeys.ts";
import { registerV2RerollKey } from "./keys_rerollKey.ts";
import { registerV2ListKeys } from "./apis_listKeys.ts";
import { registerV2AddPermissions } from "./keys_addPermissions.ts";
import { registerV2AddRoles } from "./keys_addRoles.ts";
import { registerV2CreateKey } from "./keys_createKey.ts";
import { registerV2DeleteKey } from "./keys_deleteKey.ts";
import { registerV2GetKey } from "./keys_getKey.ts";
import { registerV2RemovePermissions } from "./keys_removePermissions.ts";
import { registerV2RemoveRoles } from "./keys_removeRoles.ts";
import { registerV2SetPermissions } from "./keys_setPermissions.ts";
import { registerV2SetRoles } from "./keys_setRoles.ts";
import { registerV2UpdateCredits } from "./keys_updateCredits.ts";
import { registerV2UpdateKey } from "./keys_updateKey.ts";
import { registerV2Whoami } from "./keys_whoami.ts";
import { registerV2Liveness } from "./liveness.ts";
import { registerV2RatelimitDeleteOverride } from "./ratelimit_deleteOverride.ts";
import { registerV2RatelimitGetOverride } from "./ratelimit_getOverride.ts";
import { registerV2RatelimitLimit } from "./ratelimit_limit.ts";
import { registerV2RatelimitListOverrides } from "./ratelimit_listOverrides.ts";
import { registerV2RatelimitMultiLimit } from "./ratelimit_multiLimit.ts";
import { registerV2RatelimitSetOverride } from "./ratelimit_setOverride.ts";
import { registerV2CreateIdentity } from "./identities_createIdentity.ts";
import { registerV2DeleteIdentity } from "./identities_deleteIdentity.ts";
import { registerV2GetIdentity } from "./identities_getIdentity.ts";
import { registerV2ListIdentities } from "./identities_listIdentities.ts";
import { registerV2UpdateIdentity } from "./identities_updateIdentity.ts";
import { registerV2CreatePermission } from "./permissions_createPermission.ts";
import { registerV2GetPermission } from "./permissions_getPermission.ts";
import { registerV2ListPermissions } from "./permissions_listPermissions.ts";
import { registerV2DeletePermission } from "./permissions_deletePermission.ts";
import { registerV2CreateRole } from "./permissions_createRole.ts";
import { registerV2GetRole } from "./permissions_getRole.ts";
import { registerV2ListRoles } from "./permissions_listRoles.ts";
import { registerV2DeleteRole } from "./permissions_deleteRole.ts";
import { registerV2SetRolePermissions } from "./permissions_setRolePermissions.ts";
import { registerV2AnalyticsGetVerifications } from "./analytics_getVerifications.ts";

/** Unkey v2's operations, each a thin adapter over the same services as v1 (src/api/v1/). */
export const v2Routes: ((app: App) => void)[] = [
  registerV2Liveness,
  registerV2CreateApi,
  registerV2GetApi,
  registerV2DeleteApi,
  registerV2ListKeys,
  registerV2CreateKey,
  registerV2GetKey,
  registerV2UpdateKey,
  registerV2DeleteKey,
  registerV2UpdateCredits,
  registerV2VerifyKey,
  registerV2Whoami,
  registerV2AddPermissions,
  registerV2RemovePermissions,
  registerV2SetPermissions,
  registerV2AddRoles,
  registerV2RemoveRoles,
  registerV2SetRoles,
  registerV2RerollKey,
  registerV2MigrateKeys,
  registerV2RatelimitLimit,
  registerV2RatelimitMultiLimit,
  registerV2RatelimitSetOverride,
  registerV2RatelimitGetOverride,
  registerV2RatelimitListOverrides,
  registerV2RatelimitDeleteOverride,
  registerV2CreateIdentity,
  registerV2GetIdentity,
  registerV2ListIdentities,
  registerV2UpdateIdentity,
  registerV2DeleteIdentity,
  registerV2CreatePermission,
  registerV2GetPermission,
  registerV2ListPermissions,
  registerV2DeletePermission,
  registerV2CreateRole,
  registerV2GetRole,
  registerV2ListRoles,
  registerV2DeleteRole,
  registerV2SetRolePermissions,
  registerV2AnalyticsGetVerifications,
];
