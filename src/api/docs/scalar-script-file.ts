import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { ScriptSource } from "./api-reference.ts";

/**
 * Node only: Scalar's standalone script from node_modules (`@scalar/api-reference`, a dev
 * dependency; the Docker image copies just this file). null where it is not installed.
 */
export const scalarScriptFile: ScriptSource = async () => {
  try {
    const path = createRequire(import.meta.url).resolve("@scalar/api-reference/browser/standalone.js");
    return await readFile(path, "utf8");
  } catch {
    return null;
  }
};
