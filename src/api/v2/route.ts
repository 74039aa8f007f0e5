import { createRoute } from "@hono/zod-openapi";
import type { ZodType } from "zod";
import { jsonBody } from "../routes/schemas.ts";
import type { PermissionRule, PermissionsExtension } from "../routes/route-security.ts";
import { rootKeyRequired } from "../routes/route-security.ts";
import { v2ErrorResponses, v2Response } from "./envelope.ts";

/**
 * A v2 operation: `POST /v2/<group>.<action>` with a JSON body, a root key, v2's envelope
 * and the errors v2 declares. Route files give only what differs: shapes and permissions.
 */
export function v2Route<Req extends ZodType>(spec: {
  operation: `${string}.${string}`;
  summary: string;
  description: string;
  permissions: PermissionRule[];
  request: Req;
  data: ZodType;
  list?: boolean;
  extraErrors?: (412 | 409)[];
  /** Who may call it, where not a root key with `permissions` (route-security.ts). */
  access?: { security: Record<string, string[]>[]; "x-keyhold-permissions": PermissionsExtension };
}) {
  const [group] = spec.operation.split(".");
  return createRoute({
    operationId: `v2.${spec.operation}`,
    tags: [`v2 ${group}`],
    method: "post",
    path: `/v2/${spec.operation}`,
    summary: spec.summary,
    description: spec.description,
    ...(spec.access ?? rootKeyRequired(...spec.permissions)),
    request: jsonBody(spec.request),
    responses: { ...v2Response(spec.data, spec.summary, { list: spec.list }), ...v2ErrorResponses(...(spec.extraErrors ?? [])) },
  });
}
