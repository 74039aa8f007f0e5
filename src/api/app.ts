import { OpenAPIHono } from "@hono/zod-openapi";
import { ERRORS_DOC_PATH, errorsPage } from "../error-docs.ts";
import { createApiMetrics } from "../metrics/api-metrics.ts";
import { observeVaultClient } from "../vault-client/observed-vault-client.ts";
import { registerApiReference } from "./docs/api-reference.ts";
import { registerPortalPage } from "./portal-page/page.ts";
import type { AppEnv, Deps } from "./env.ts";
import { errorResponse, handleError, payloadTooLarge, validationHook } from "./errors.ts";
import { limitBody } from "../http/body-limit.ts";
import { forgetChanged } from "./middleware/forget-changed.ts";
import { registerOpenApiDocument } from "./openapi/document.ts";
import { validateJsonBodiesInOneStep } from "../http/json-body-validation.ts";
import { recordMetrics } from "./middleware/metrics.ts";
import { requestContext } from "./middleware/request-id.ts";
import { DEFAULT_ROOT_KEY_FAILURE_LIMIT, RootKeyFailureLimiter } from "./middleware/root-key-failures.ts";
import { registerCreateApi } from "./v1/apis_createApi.ts";
import { registerDeleteApi } from "./v1/apis_deleteApi.ts";
import { registerDeleteKeys } from "./v1/apis_deleteKeys.ts";
import { registerGetApi } from "./v1/apis_getApi.ts";
import { registerListKeys } from "./v1/apis_listKeys.ts";
import { registerUpdateApi } from "./v1/apis_updateApi.ts";
import { registerCreateKey } from "./v1/keys_createKey.ts";
import { registerDeleteKey } from "./v1/keys_deleteKey.ts";
import { registerGetKey } from "./v1/keys_getKey.ts";
import { registerUpdateKey } from "./v1/keys_updateKey.ts";
import { registerUpdateRemaining } from "./v1/keys_updateRemaining.ts";
import { registerVerifyKey } from "./v1/keys_verifyKey.ts";
import { registerLiveness } from "./v1/liveness.ts";
import { registerMigrationsCreateKeys } from "./v1/migrations_createKeys.ts";
import { registerCreateRootKey } from "./v1/rootKeys_createRootKey.ts";
import { registerDeleteRootKey } from "./v1/rootKeys_deleteRootKey.ts";
import { registerListRootKeys } from "./v1/rootKeys_listRootKeys.ts";
import { registerRatelimitsDeleteOverride } from "./v1/ratelimits_deleteOverride.ts";
import { registerRatelimitsGetOverride } from "./v1/ratelimits_getOverride.ts";
import { registerRatelimitsLimit } from "./v1/ratelimits_limit.ts";
import { registerRatelimitsListOverrides } from "./v1/ratelimits_listOverrides.ts";
import { registerRatelimitsSetOverride } from "./v1/ratelimits_setOverride.ts";
import { registerAddPermissions } from "./v1/keys_addPermissions.ts";
import { registerRemovePermissions } from "./v1/keys_removePermissions.ts";
import { registerSetPermissions } from "./v1/keys_setPermissions.ts";
import { registerAddRoles } from "./v1/keys_addRoles.ts";
import { registerRemoveRoles } from "./v1/keys_removeRoles.ts";
import { registerSetRoles } from "./v1/keys_setRoles.ts";
import { registerCreatePermission } from "./v1/permissions_createPermission.ts";
import { registerGetPermission } from "./v1/permissions_getPermission.ts";
import { registerListPermissions } from "./v1/permissions_listPermissions.ts";
import { registerDeletePermission } from "./v1/permissions_deletePermission.ts";
import { registerCreateRole } from "./v1/permissions_createRole.ts";
import { registerGetRole } from "./v1/permissions_getRole.ts";
import { registerListRoles } from "./v1/permissions_listRoles.ts";
import { registerDeleteRole } from "./v1/permissions_deleteRole.ts";
import { registerMetrics } from "./routes/metrics.ts";
import { identityRoutes } from "./v1/identities.ts";
import { registerAnalyticsGetVerifications } from "./v1/analytics_getVerifications.ts";
import { registerKeysGetVerifications } from "./v1/keys_getVerifications.ts";
import { v2Routes } from "./v2/routes.ts";
import { gateActivities } from "./activity-gate.ts";
import { registerActivityRoutes } from "./custody/activities.ts";
import { registerRootQuorumRoutes } from "./custody/root-quorum.ts";
import { custodyRules } from "../activities/rules.ts";
import { ActivityRecordWriter } from "../activities/record-writer.ts";
import { registerAuditOperations } from "./operations/audit.ts";
import { registerUserOperations } from "./operations/users.ts";
import { registerExportKey } from "./operations/keys_exportKey.ts";
import { registerEscrowOperations } from "./operations/escrow.ts";
import { policyOperations } from "./operations/policies.ts";
import { portalOperations } from "./operations/portal.ts";
import { registerPortalSessionRoutes } from "./portal/sessions.ts";
import { registerPortalKeyRoutes } from "./portal/keys.ts";
import { registerPortalActivityRoutes } from "./portal/activities.ts";
import { registerReadyz } from "./routes/readyz.ts";

const routes = [
  registerLiveness,
  registerCreateApi,
  registerGetApi,
  registerUpdateApi,
  registerDeleteApi,
  registerListKeys,
  registerDeleteKeys,
  registerCreateKey,
  registerGetKey,
  registerUpdateKey,
  registerUpdateRemaining,
  registerDeleteKey,
  registerVerifyKey,
  registerMigrationsCreateKeys,
  registerCreateRootKey,
  registerDeleteRootKey,
  registerListRootKeys,
  registerRatelimitsLimit,
  registerRatelimitsSetOverride,
  registerRatelimitsGetOverride,
  registerRatelimitsListOverrides,
  registerRatelimitsDeleteOverride,
  ...identityRoutes,
  registerCreatePermission,
  registerGetPermission,
  registerListPermissions,
  registerDeletePermission,
  registerCreateRole,
  registerGetRole,
  registerListRoles,
  registerDeleteRole,
  registerAddPermissions,
  registerRemovePermissions,
  registerSetPermissions,
  registerAddRoles,
  registerRemoveRoles,
  registerSetRoles,
  registerKeysGetVerifications,
  registerAnalyticsGetVerifications,
  ...v2Routes,
  registerUserOperations,
  registerAuditOperations,
  registerExportKey,
  registerEscrowOperations,
  ...policyOperations,
  ...portalOperations,
  registerPortalSessionRoutes,
  registerPortalKeyRoutes,
  registerPortalActivityRoutes,
  registerReadyz,
  registerMetrics,
  registerOpenApiDocument,
];

/** The Keyhold HTTP API, built from its parts. No global state: every caller builds its own. */
export function createApp(appDeps: Deps): OpenAPIHono<AppEnv> {
  // Operations: this app's own metrics registry, counting its vault calls too.
  const metrics = createApiMetrics({ verifyCache: appDeps.verifyCache, analytics: appDeps.analytics });
  const vault = appDeps.vault && observeVaultClient(appDeps.vault, metrics.observeVaultCall);
  // The caller's deps stay live underneath (tests swap the logger); only the vault and the limiter are set here.
  const limit = appDeps.rootKeyFailureLimit;
  const rootKeyFailures = limit === false ? null : new RootKeyFailureLimiter({ ...DEFAULT_ROOT_KEY_FAILURE_LIMIT, ...limit });
  const deps: Deps = Object.assign(Object.create(appDeps) as Deps, { vault, rootKeyFailures, activityRecords: new ActivityRecordWriter(appDeps.db) });
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("*", requestContext(deps));
  app.use("*", recordMetrics(metrics));
  app.use("*", limitBody(payloadTooLarge));
  forgetChanged(app);
  // Under the activity layer: it registers through this, whose validators come before its gate.
  validateJsonBodiesInOneStep(app, validationHook as never);
  // Every mutating admin route and every decrypt becomes an activity, under the workspace's policies and quorum.
  const rules = custodyRules(deps);
  gateActivities(app, rules);
  for (const register of routes) register(app);
  registerActivityRoutes(app, rules);
  registerRootQuorumRoutes(app, rules);
  deps.self = app;
  registerApiReference(app, appDeps.apiReferenceScript);
  registerPortalPage(app, appDeps.portalAssets);
  app.get(ERRORS_DOC_PATH, errorsPage);
  app.notFound((c) => errorResponse(c, "NOT_FOUND", `No route ${c.req.method} ${c.req.path}.`));
  app.onError(handleError);
  return app;
}
