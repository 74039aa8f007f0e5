import { z } from "@hono/zod-openapi";
import { CREATE_PORTAL } from "../../auth/permissions.ts";
import { MAX_LIST_LIMIT } from "../../paging.ts";
import { MAX_PORTALS_PER_WORKSPACE, MAX_PORTAL_APIS, createPortal, deletePortal, getPortal, listPortals, updatePortal } from "../../portal/portals.ts";
import type { App } from "../env.ts";
import { registerOperation } from "../operation.ts";
import { id, text } from "../routes/schemas.ts";

/** portal.* configuration (src/portal/portals.ts), Keyhold's own: one definition each, served as /v1 and /v2. */

const portalId = id("ptl_1Ghu6Y2kQ7xW3nZ8rT5vLp");
const apiIds = z.array(id("api_1Ghu6Wzaf5ZVRZcWJQ1Hfs")).min(1).max(MAX_PORTAL_APIS).openapi({ description: "The workspace's APIs whose keys the portal shows (404 for one that is not the workspace's)." });

/** An absolute http(s) URL: where the portal sends the end user back. */
const returnUrl = z
  .string()
  .max(2048)
  .refine((s) => URL.canParse(s) && ["http:", "https:"].includes(new URL(s).protocol), { message: "must be an absolute http(s) URL" })
  .openapi({ example: "https://example.com/account" });

/**
 * A logo is served by Keyhold's own origin or inline: a same-origin path (`/…`, never `//host`)
 * or a data: URL of an image, so the portal page never loads anything from another origin.
 */
const logoUrl = z
  .string()
  .max(65_536)
  .refine((s) => (s.startsWith("/") && !s.startsWith("//") && !s.includes("\\")) || /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/.test(s), {
    message: "must be a same-origin path (/…) or a data:image/…;base64 URL",
  });
const branding = z
  .object({
    accentColor: z.string().regex(/^#[0-9a-fA-F]{6}$/, { message: "must be a #rrggbb colour" }).optional(),
    logoUrl: logoUrl.optional(),
  })
  .strict()
  .openapi({ example: { accentColor: "#3355ff", logoUrl: "/assets/logo.svg" } });

const portal = z
  .object({
    portalId: z.string(),
    name: z.string(),
    apiIds: z.array(z.string()),
    returnUrl: z.string().optional(),
    branding: z.object({ accentColor: z.string().optional(), logoUrl: z.string().optional() }).optional(),
    createdAt: z.number(),
    updatedAt: z.number().optional(),
  })
  .openapi("Portal");

export const portalOperations: ((app: App) => void)[] = [
  (app) =>
    registerOperation(app, {
      operation: "portal.createPortal",
      summary: "Create a portal",
      description: `An end-user portal of the caller's workspace, showing the keys of \`apiIds\`; at most ${MAX_PORTALS_PER_WORKSPACE} per workspace (409 beyond).\n\nPermission: \`${CREATE_PORTAL}\`.`,
      permissions: [{ anyOf: [CREATE_PORTAL] }],
      extraErrors: [409],
      request: z.object({ name: text(), apiIds, returnUrl: returnUrl.optional(), branding: branding.optional() }),
      data: z.object({ portalId: z.string() }),
      handle: (input, ctx, c) => createPortal(c.get("deps").db, ctx, input),
    }),
  (app) =>
    registerOperation(app, {
      operation: "portal.getPortal",
      summary: "Read a portal",
      description: "One portal of the caller's workspace.\n\nPermission: `portal.*.read_portal` or `portal.<portalId>.read_portal`.",
      permissions: [{ anyOf: ["portal.*.read_portal", "portal.<portalId>.read_portal"] }],
      read: true,
      request: z.object({ portalId }),
      data: portal,
      handle: (input, ctx, c) => getPortal(c.get("deps").db, ctx, input.portalId),
    }),
  (app) =>
    registerOperation(app, {
      operation: "portal.listPortals",
      summary: "List portals",
      description: `The workspace's portals, in creation order, at most \`limit\` (default and most ${MAX_LIST_LIMIT}) per page; \`cursor\` continues.\n\nPermission: \`portal.*.read_portal\`.`,
      permissions: [{ anyOf: ["portal.*.read_portal"] }],
      read: true,
      request: z.object({ limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).optional(), cursor: text().optional() }),
      data: portal,
      list: { items: "portals" },
      handle: async (input, ctx, c) => {
        const page = await listPortals(c.get("deps").db, ctx, input);
        return { items: page.portals, cursor: page.cursor };
      },
    }),
  (app) =>
    registerOperation(app, {
      operation: "portal.updatePortal",
      summary: "Update a portal",
      description:
        "Changes the fields sent; `returnUrl` or `branding` null clears it. Sessions already minted see the new APIs at once.\n\nPermission: `portal.*.update_portal` or `portal.<portalId>.update_portal`.",
      permissions: [{ anyOf: ["portal.*.update_portal", "portal.<portalId>.update_portal"] }],
      request: z.object({ portalId, name: text().optional(), apiIds: apiIds.optional(), returnUrl: returnUrl.nullable().optional(), branding: branding.nullable().optional() }),
      data: z.object({}),
      handle: async ({ portalId: target, ...changes }, ctx, c) => (await updatePortal(c.get("deps").db, ctx, target, changes), {}),
    }),
  (app) =>
    registerOperation(app, {
      operation: "portal.deletePortal",
      summary: "Delete a portal",
      description: "Deletes the portal and ends every session of it at once.\n\nPermission: `portal.*.delete_portal` or `portal.<portalId>.delete_portal`.",
      permissions: [{ anyOf: ["portal.*.delete_portal", "portal.<portalId>.delete_portal"] }],
      request: z.object({ portalId }),
      data: z.object({}),
      handle: async (input, ctx, c) => (await deletePortal(c.get("deps").db, ctx, input.portalId), {}),
    }),
];
