import { readFile } from "node:fs/promises";
import type { PortalAssetName, PortalAssetSource } from "./assets.ts";

/** Node only: the portal page's files from ./assets/, next to this module (inside the repo). */
export const portalAssetFiles: PortalAssetSource = async (name: PortalAssetName) => {
  try {
    return await readFile(new URL(`./assets/${name}`, import.meta.url), "utf8");
  } catch {
    return null;
  }
};
