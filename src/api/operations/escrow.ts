import { z } from "@hono/zod-openapi";
import { ESCROW } from "../../auth/permissions.ts";
import { createEscrowKey, deleteEscrowKey, exportEscrowKey, getEscrowKey, listEscrowKeys } from "../../escrow/escrow-keys.ts";
import { logExport } from "../auth.ts";
import type { App } from "../env.ts";
import { registerOperation } from "../operation.ts";
import { text } from "../routes/schemas.ts";
import { escrowKeyId, escrowKeyName, escrowKeyView, exportBundle, listLimit, publicKey, targetPublicKey } from "./export-schemas.ts";

/** Escrow keys (src/escrow/), each operation served as /v1/escrow.* and /v2/escrow.*. */
export function registerEscrowOperations(app: App): void {
  registerOperation(app, {
    operation: "escrow.createKey",
    summary: "Create an escrow key",
    description:
      "Makes a P-256 key pair inside the vault and answers its public key. Encrypt your own data to it (a JWE, ECDH-ES+A256KW) and keep it wherever you like; " +
      "the private key never leaves the vault except through escrow.exportKey, sealed to your key.\n\nPermission: `escrow.*.create_key`.",
    permissions: [{ anyOf: [ESCROW.createKey] }],
    request: z.object({ name: escrowKeyName }),
    data: z.object({ escrowKeyId: z.string(), publicKey }),
    handle: (input, ctx, c) => createEscrowKey(c.get("deps").db, c.get("deps").vault, ctx, input),
  });
  registerOperation(app, {
    operation: "escrow.getKey",
    summary: "Get an escrow key",
    description: "An escrow key's name and public key.\n\nPermission: `escrow.*.read_key` or `escrow.<escrowKeyId>.read_key`.",
    permissions: [{ anyOf: [ESCROW.readKey, "escrow.<escrowKeyId>.read_key"] }],
    read: true,
    request: z.object({ escrowKeyId }),
    data: escrowKeyView,
    handle: (input, ctx, c) => getEscrowKey(c.get("deps").db, ctx, input),
  });
  registerOperation(app, {
    operation: "escrow.listKeys",
    summary: "List escrow keys",
    description: "The workspace's escrow keys in creation order, a page at a time (`cursor` from the page before).\n\nPermission: `escrow.*.read_key`.",
    permissions: [{ anyOf: [ESCROW.readKey] }],
    read: true,
    request: z.object({ limit: listLimit, cursor: text().optional() }),
    data: escrowKeyView,
    list: { items: "escrowKeys" },
    handle: (input, ctx, c) => listEscrowKeys(c.get("deps").db, ctx, input),
  });
  registerOperation(app, {
    operation: "escrow.deleteKey",
    summary: "Delete an escrow key",
    description: "Deletes an escrow key: it answers NOT_FOUND at once and can never be exported again, so data encrypted to it only is lost.\n\nPermission: `escrow.*.delete_key` or `escrow.<escrowKeyId>.delete_key`.",
    permissions: [{ anyOf: [ESCROW.deleteKey, "escrow.<escrowKeyId>.delete_key"] }],
    request: z.object({ escrowKeyId }),
    data: z.object({}),
    async handle(input, ctx, c) {
      await deleteEscrowKey(c.get("deps").db, ctx, input);
      return {};
    },
  });
  registerOperation(app, {
    operation: "escrow.exportKey",
    summary: "Export an escrow key's private key to your public key",
    description:
      "The escrow key's private JWK as a compact JWE (ECDH-ES+A256KW, A256GCM) to `targetPublicKey` (a P-256 public JWK), sealed inside the vault.\n\n" +
      "Permission: `escrow.*.export_key` or `escrow.<escrowKeyId>.export_key`.",
    permissions: [{ anyOf: [ESCROW.exportKey, "escrow.<escrowKeyId>.export_key"] }],
    request: z.object({ escrowKeyId, targetPublicKey }),
    data: z.object({ escrowKeyId: z.string(), exportBundle }),
    async handle(input, ctx, c) {
      const { db, vault, logger } = c.get("deps");
      const result = await exportEscrowKey(db, vault, ctx, input);
      logExport(logger, c.get("requestId"), ctx.rootKeyId, { escrowKeyId: result.escrowKeyId });
      return result;
    },
  });
}
