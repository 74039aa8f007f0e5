import { z } from "@hono/zod-openapi";
import { exportKey } from "../../keys/export-key.ts";
import { logExport } from "../auth.ts";
import type { App } from "../env.ts";
import { registerOperation } from "../operation.ts";
import { id } from "../routes/schemas.ts";
import { apiPermission } from "../routes/route-security.ts";
import { exportBundle, targetPublicKey } from "./export-schemas.ts";

export function registerExportKey(app: App): void {
  registerOperation(app, {
    operation: "keys.exportKey",
    summary: "Export a recoverable key to your public key",
    description:
      "The key's plaintext as a compact JWE (ECDH-ES+A256KW, A256GCM) to `targetPublicKey` (a P-256 public JWK), sealed inside the vault: " +
      "the plaintext never crosses the wire in clear. A key made without `recoverable: true` is 412.\n\n" +
      "Permission: `api.*.export_key` or `api.<apiId>.export_key`.",
    permissions: [apiPermission("export_key")],
    request: z.object({ keyId: id("key_1234"), targetPublicKey }),
    data: z.object({ keyId: z.string(), exportBundle }),
    extraErrors: [412],
    async handle(input, ctx, c) {
      const { db, vault, logger } = c.get("deps");
      const result = await exportKey(db, vault, ctx, input);
      logExport(logger, c.get("requestId"), ctx.rootKeyId, { keyId: result.keyId });
      return result;
    },
  });
}
